/// Where one end of the exchange writes its records while a run goes on. Appends into an array
/// reserved up front; no formatting, no locks: one recorder belongs to one serving thread.
public final class TrafficRecorder {
    public let context: TrafficContext
    public private(set) var records: ContiguousArray<TrafficRecord>
    /// The workload step the next messages belong to; the workload sets it before each step.
    public var step: Int32 = 0
    private var expertTokens: [Int]
    private var bytesSaved: [Int]
    private var steps: [TrafficStep] = []
    private var nodesPerToken: [[Int]]

    public init(context: TrafficContext, capacity: Int = 1 << 16) {
        self.context = context
        records = []
        records.reserveCapacity(capacity)
        expertTokens = Array(repeating: 0, count: context.layers * context.experts)
        bytesSaved = Array(repeating: 0, count: context.layers)
        nodesPerToken = Array(repeating: [], count: context.layers)
    }

    /// A layer's exchange reached `counts[k]` tokens on k nodes.
    public func noteNodesPerToken(layer: Int, counts: [Int]) {
        guard nodesPerToken.indices.contains(layer) else { return }
        if counts.count > nodesPerToken[layer].count {
            nodesPerToken[layer] += Array(repeating: 0, count: counts.count - nodesPerToken[layer].count)
        }
        for (k, n) in counts.enumerated() { nodesPerToken[layer][k] += n }
    }

    @inline(__always)
    public func record(_ record: TrafficRecord) {
        records.append(record)
    }

    /// A layer's routing, once per exchange: tokens per expert and what deduplication saved.
    public func noteRouting(layer: Int, tokensPerExpert: [Int], bytesSavedByDeduplication: Int) {
        let base = layer * context.experts
        for (expert, n) in tokensPerExpert.enumerated() where expert < context.experts { expertTokens[base + expert] += n }
        bytesSaved[layer] += bytesSavedByDeduplication
    }

    /// Tokens routed to each expert of `layer` so far.
    public func expertTokens(layer: Int) -> ArraySlice<Int> {
        expertTokens[(layer * context.experts)..<((layer + 1) * context.experts)]
    }

    public func noteStep(seconds: Double, tokens: Int, promptTokens: Int = 0) {
        steps.append(TrafficStep(step: steps.count, seconds: seconds, tokens: tokens, promptTokens: promptTokens))
    }

    public var ledger: TrafficLedger {
        TrafficLedger(context: context, records: Array(records),
                      expertTokens: (0..<context.layers).map { Array(expertTokens[($0 * context.experts)..<(($0 + 1) * context.experts)]) },
                      bytesSavedByDeduplication: bytesSaved, steps: steps, nodesPerToken: nodesPerToken)
    }
}
