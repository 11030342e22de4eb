/// Decode: every token of the batch is one sequence's next token. Prefill: the batch's tokens
/// are whole prompts of `context` tokens (one prompt of `batch` tokens when the batch is shorter).
public enum Phase: String, CaseIterable, Sendable { case decode, prefill }

/// `pingpong` splits the batch in two micro-batches so one's expert exchange and GEMMs overlap
/// the other's attention; `none` runs the batch as one.
public enum Overlap: String, CaseIterable, Sendable { case none, pingpong }

/// Everything a simulated step depends on besides the model and the deployment.
public struct SimulationOptions: Sendable {
    public var phase: Phase
    /// Tokens in one step.
    public var batch: Int
    /// Decode: positions each token attends to. Prefill: the prompt length.
    public var context: Int
    public var routing: RoutingDistribution
    /// Each token's experts on at most this many nodes (nil: no limit).
    public var nodeLimit: Int?
    public var algorithm: ExchangeAlgorithm
    public var dispatchDType: DispatchDType
    public var combineDType: CombineDType
    public var overlap: Overlap
    public var steps: Int
    public var seed: UInt64

    public init(phase: Phase, batch: Int, context: Int = 8192, routing: RoutingDistribution = .uniform,
                dispatchDType: DispatchDType = .bf16, combineDType: CombineDType = .bf16,
                overlap: Overlap = .none, steps: Int = 1, seed: UInt64 = 1, nodeLimit: Int? = nil, algorithm: ExchangeAlgorithm = .direct) {
        self.phase = phase
        self.batch = batch
        self.context = context
        self.routing = routing
        self.nodeLimit = nodeLimit
        self.algorithm = algorithm
        self.dispatchDType = dispatchDType
        self.combineDType = combineDType
        self.overlap = overlap
        self.steps = steps
        self.seed = seed
    }

    /// Token counts of the micro-batches.
    public var microBatches: [Int] {
        overlap == .pingpong && batch >= 2 ? [(batch + 1) / 2, batch / 2] : [batch]
    }
}
