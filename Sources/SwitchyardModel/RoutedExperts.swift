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
