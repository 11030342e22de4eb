import SwitchyardKernels
import SwitchyardModelConfig

/// New tokens of one sequence for one step, with the cache that holds its earlier positions.
public struct SequenceStep {
    public let cache: KVCache
    public let tokens: [Int]

    public init(cache: KVCache, tokens: [Int]) {
        self.cache = cache
        self.tokens = tokens
    }
}

/// Where the time of a step went, in seconds.
public struct StepTimings: Sendable {
    public var attention: Double = 0
    public var routedExperts: Double = 0
    public var other: Double = 0
    public var total: Double { attention + routedExperts + other }
}

/// A token id outside the vocabulary.
public struct TokenOutOfRange: Error, CustomStringConvertible {
    public let token: Int
    public let vocabSize: Int
    public var description: String { "token \(token) is outside the vocabulary (0..<\(vocabSize))" }
}

/// Mistral4's decoder: embedding, layers of MLA attention and (MoE or dense) feed-forward, final
/// norm, LM head. Routed experts are computed by a backend, in this process or across a cluster.
public final class Mistral4Model {
    public let config: ModelConfig
    public let weights: Mistral4Weights
    public let router: Router
    let attention: MLAAttention
    public private(set) var timings = StepTimings()

    public init(weights: Mistral4Weights) {
        config = weights.config
        self.weights = weights
        router = Router(config: weights.config)
        attention = MLAAttention(config: weights.config, rope: RotaryEmbedding(config: weights.config),
                                 scaling: AttentionScaling(config: weights.config))
    }

    /// Runs one step over a batch of sequences and returns the logits [new tokens × vocab], rows
    /// in the order of `batch` and of each sequence's tokens. Each cache grows by its tokens.
    /// `lastOnly` returns only each sequence's last new position [batch × vocab]: what greedy
    /// decoding reads, without the LM head over every prompt position (most of a wide-vocabulary
    /// prefill).
    public func step(_ batch: [SequenceStep], experts: RoutedExpertBackend, lastOnly: Bool = false) throws -> [Float] {
        try checkTokens(batch)
        let rows = batch.reduce(0) { $0 + $1.tokens.count }
        var clock = ContinuousClock.now
        func lap(_ keyPath: WritableKeyPath<StepTimings, Double>) {
            let now = ContinuousClock.now
            let elapsed = now - clock
            timings[keyPath: keyPath] += elapsed.inSeconds
            clock = now
        }

        var hidden = embed(batch, rows: rows)
        for (l, layer) in weights.layers.enumerated() {
            attend(batch, hidden: &hidden, rows: rows, layer: l)
            lap(\.attention)

            var normed = hidden
            rmsNorm(&normed, layer.postAttentionLayernorm, rows: rows)
            switch layer.mlp {
            case let .dense(mlp):
                add(mlp.forward(normed, tokens: rows), to: &hidden)
                lap(\.other)
            case let .moe(gate, shared):
                let routing = router.route(normed, tokens: rows, gate: gate)
                guard let overlapping = experts as? OverlappingExpertBackend else {
                    if let shared { add(shared.forward(normed, tokens: rows), to: &hidden) }
                    lap(\.other)
                    add(try experts.routedExperts(layer: l, input: normed, tokens: rows, routing: routing), to: &hidden)
                    lap(\.routedExperts)
                    continue
                }
                // The routed experts' exchange first, so the shared expert is computed while it is
                // in flight; the sums are added in the same order (shared, then routed).
                let ticket = try overlapping.beginRoutedExperts(layer: l, microBatch: 0, input: normed, tokens: rows, routing: routing)
                if let shared { add(shared.forward(normed, tokens: rows), to: &hidden) }
                lap(\.other)
                add(try overlapping.finishRoutedExperts(ticket), to: &hidden)
                lap(\.routedExperts)
            }
        }
        for sequence in batch { sequence.cache.advance(by: sequence.tokens.count) }

        let logits = outputLogits(hidden, of: batch, rows: rows, lastOnly: lastOnly)
        lap(\.other)
        return logits
    }

    /// The final norm and the LM head over `hidden` [rows × hidden] of `batch`'s tokens: every row,
    /// or with `lastOnly` each sequence's last (what a sampler reads, without the LM head over every
    /// prompt position, most of a wide-vocabulary prefill).
    func outputLogits(_ hidden: [Float], of batch: [SequenceStep], rows: Int, lastOnly: Bool) -> [Float] {
        var hidden = hidden, outputRows = rows
        if lastOnly, rows > batch.count {
            let h = config.hiddenSize
            var last = [Float](); last.reserveCapacity(batch.count * h)
            var end = 0
            for sequence in batch {
                end += sequence.tokens.count
                last.append(contentsOf: hidden[((end - 1) * h)..<(end * h)])
            }
            hidden = last
            outputRows = batch.count
        }
        rmsNorm(&hidden, weights.norm, rows: outputRows)
        return weights.lmHead.apply(hidden, tokens: outputRows)
    }

    public func resetTimings() { timings = StepTimings() }

    func checkTokens(_ batch: [SequenceStep]) throws {
        for sequence in batch {
            for token in sequence.tokens where !(0..<config.vocabSize).contains(token) {
                throw TokenOutOfRange(token: token, vocabSize: config.vocabSize)
            }
        }
    }

    /// The embeddings of the batch's new tokens, `rows × hidden`.
    func embed(_ batch: [SequenceStep], rows: Int) -> [Float] {
        var hidden = [Float](); hidden.reserveCapacity(rows * config.hiddenSize)
        for sequence in batch { for token in sequence.tokens { hidden.append(contentsOf: weights.embedTokens.row(token)) } }
        return hidden
    }

    /// Adds layer `l`'s attention (each sequence against its own cache) onto `hidden`.
    func attend(_ batch: [SequenceStep], hidden: inout [Float], rows: Int, layer l: Int) {
        let h = config.hiddenSize, layer = weights.layers[l]
        var normed = hidden
        rmsNorm(&normed, layer.inputLayernorm, rows: rows)
        var offset = 0
        for sequence in batch {
            let n = sequence.tokens.count
            let x = Array(normed[(offset * h)..<((offset + n) * h)])
            let out = attention.forward(layer: l, weights: layer.selfAttn, x: x, tokens: n, cache: sequence.cache)
            for i in 0..<(n * h) { hidden[offset * h + i] += out[i] }
            offset += n
        }
    }

    func rmsNorm(_ x: inout [Float], _ weight: [Float], rows: Int) {
        let eps = Float(config.rmsNormEps)
        x.withUnsafeMutableBufferPointer { x in
            weight.withUnsafeBufferPointer { Elementwise.rmsNorm(x.baseAddress!, rows: rows, weight: $0.baseAddress!, width: $0.count, eps: eps) }
        }
    }

    func add(_ delta: [Float], to x: inout [Float]) {
        for i in x.indices { x[i] += delta[i] }
    }
}
