import SwitchyardCore

/// One message between the coordinator and an expert host, decoded.
public struct WireFrame: Equatable, Sendable {
    /// Which step, layer and micro-batch the frame belongs to; zero for frames outside a layer.
    public var address: FrameAddress
    /// The expert host the frame goes to or comes from (every frame joins the coordinator and one host).
    public var host: Int
    public var body: WireBody

    public init(address: FrameAddress = FrameAddress(), host: Int, body: WireBody) {
        self.address = address
        self.host = host
        self.body = body
    }

    public var kind: FrameKind { body.kind }
}

/// Where in the computation a frame belongs: a step (or request, or heartbeat sequence number),
/// a decoder layer and a micro-batch of that step.
public struct FrameAddress: Hashable, Sendable, CustomStringConvertible {
    public var step: UInt64
    public var layer: Int
    public var microBatch: Int

    public init(step: UInt64 = 0, layer: Int = 0, microBatch: Int = 0) {
        self.step = step
        self.layer = layer
        self.microBatch = microBatch
    }

    public var description: String { "step \(step), layer \(layer), micro-batch \(microBatch)" }
}

public enum FrameKind: UInt8, CaseIterable, Sendable {
    case hello = 1
    case helloAck = 2
    case dispatch = 3
    case combine = 4
    case error = 5
    case heartbeat = 6
    case shutdown = 7

    /// Dispatch and combine belong to a layer and carry activations; the others carry neither.
    public var carriesActivations: Bool { self == .dispatch || self == .combine }
}

public enum WireBody: Equatable, Sendable {
    case hello(Hello)
    case helloAck
    case dispatch(Dispatch)
    case combine(Combine)
    case error(Failure)
    case heartbeat
    case shutdown

    public var kind: FrameKind {
        switch self {
        case .hello: .hello
        case .helloAck: .helloAck
        case .dispatch: .dispatch
        case .combine: .combine
        case .error: .error
        case .heartbeat: .heartbeat
        case .shutdown: .shutdown
        }
    }

    /// The activations a dispatch or combine carries.
    public var activations: ActivationRows? {
        switch self {
        case let .dispatch(dispatch): dispatch.activations
        case let .combine(combine): combine.partialSums
        default: nil
        }
    }
}

/// Tokens for one host: their routes and their activations, row for row.
public struct Dispatch: Equatable, Sendable {
    public var routes: TokenRoutes
    /// `routes.count × hidden`.
    public var activations: ActivationRows
    /// What the host's combine carries back (the header's combine_type): the activations' own
    /// type unless the cluster sends each direction in another.
    public var combineType: PayloadType

    public init(routes: TokenRoutes, activations: ActivationRows, combineType: PayloadType? = nil) {
        precondition(routes.count == activations.rows, "\(routes.count) routed tokens but \(activations.rows) activation rows")
        self.routes = routes
        self.activations = activations
        self.combineType = combineType ?? activations.type
    }
}

/// A host's answer to a dispatch: per token, the gate-weighted sum of its experts' outputs.
public struct Combine: Equatable, Sendable {
    /// Batch token indices, in the order the dispatch listed them.
    public var tokens: [UInt32]
    /// `tokens.count × hidden`.
    public var partialSums: ActivationRows

    public init(tokens: [UInt32], partialSums: ActivationRows) {
        precondition(tokens.count == partialSums.rows, "\(tokens.count) tokens but \(partialSums.rows) rows of sums")
        self.tokens = tokens
        self.partialSums = partialSums
    }
}

/// What each side states when a host joins: the coordinator checks the fingerprints and the
/// experts against its own before it sends the first dispatch.
public struct Hello: Equatable, Sendable {
    public var modelFingerprint: String
    public var placementFingerprint: String
    public var weightsFingerprint: String
    /// The routed experts the host holds, ascending.
    public var experts: [Int]
    /// Bytes of expert weights the host keeps resident.
    public var residentBytes: UInt64
    /// The coordinator's run: random per run, repeated in the host's answer. A host serves one run
    /// at a time, and takes a new link from the same run (a reconnect) in place of the old one.
    public var session: UInt64
    /// The host process's own random number, new each time it starts: a host that answers with
    /// another incarnation than before was restarted and is admitted again.
    public var incarnation: UInt64

    public init(modelFingerprint: String, placementFingerprint: String, weightsFingerprint: String, experts: [Int], residentBytes: UInt64,
                session: UInt64 = 0, incarnation: UInt64 = 0) {
        self.modelFingerprint = modelFingerprint
        self.placementFingerprint = placementFingerprint
        self.weightsFingerprint = weightsFingerprint
        self.experts = experts
        self.residentBytes = residentBytes
        self.session = session
        self.incarnation = incarnation
    }
}

/// An error one side reports to the other (the frame kind `error`).
public struct Failure: Equatable, Sendable {
    public enum Code: UInt32, Sendable {
        /// A frame did not decode; the message is the `WireError`'s description.
        case malformedFrame = 1
        /// The hello did not match: another model, placement or weights.
        case refused = 2
        /// A valid frame that the receiver did not expect now.
        case unexpectedFrame = 3
        /// Running an expert failed.
        case expertFailed = 4
        case internalError = 5
        /// The host serves another coordinator that is still alive; try again later.
        case busy = 6
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}
