import SwitchyardCore

/// Computes the routed experts' contribution of one layer: for each token, the gate-weighted sum
/// of its chosen experts' outputs. The single-process model does it locally; the coordinator of a
/// cluster sends the work to the expert hosts.
public protocol RoutedExpertBackend {
    func routedExperts(layer: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> [Float]
}

public struct MissingExpertError: Error, CustomStringConvertible {
    public let layer: Int?
    public let expert: Int

    public init(layer: Int?, expert: Int) {
        self.layer = layer
        self.expert = expert
    }

    public var description: String { "expert \(expert) is not held by this process" }
}

/// A layer's exchange started and not yet waited for: what `finishRoutedExperts` redeems.
public struct ExpertTicket: Sendable {
    public let id: UInt64
    /// The answer, when the backend had it at once.
    public let ready: [Float]?

    public init(id: UInt64, ready: [Float]? = nil) {
        self.id = id
        self.ready = ready
    }
}

/// A backend that lets a layer's routed experts be in flight while the caller computes something
/// else (the other micro-batch's attention): ping-pong overlap.
public protocol OverlappingExpertBackend: RoutedExpertBackend {
    func beginRoutedExperts(layer: Int, microBatch: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> ExpertTicket
    func finishRoutedExperts(_ ticket: ExpertTicket) throws -> [Float]
}
