import SwitchyardCore
import SwitchyardKernels
import SwitchyardModelConfig

/// Mistral4's router: softmax over all experts, group-limited top-k, weights from the softmax.
public struct Router: Sendable {
    public let config: ModelConfig

    public init(config: ModelConfig) { self.config = config }

    /// Routes `tokens` rows of `x` (the post-attention-normalised hidden states) with the gate's
    /// weight [n_routed_experts × hidden].
    public func route(_ x: [Float], tokens: Int, gate: [Float]) -> RoutingDecision {
        let e = config.nRoutedExperts, h = config.hiddenSize
        var logits = [Float](repeating: 0, count: tokens * e)
        x.withUnsafeBufferPointer { x in
            gate.withUnsafeBufferPointer { g in
                logits.withUnsafeMutableBufferPointer { l in
                    Linear.f32(g.baseAddress!, rows: e, cols: h, x: x.baseAddress!, tokens: tokens, y: l.baseAddress!)
                }
            }
        }
        return select(logits: logits, tokens: tokens)
    }

    /// The selection from router logits [tokens × experts].
    public func select(logits: [Float], tokens: Int) -> RoutingDecision {
        let c = config
        let e = c.nRoutedExperts, k = c.numExpertsPerTok, groups = c.nGroup, perGroup = c.expertsPerGroup
        var experts = [Int32](repeating: 0, count: tokens * k)
        var weights = [Float](repeating: 0, count: tokens * k)
        var scores = [Float](repeating: 0, count: e)
        var groupScores = [Float](repeating: 0, count: groups)
        var allowed = [Bool](repeating: true, count: e)
        for t in 0..<tokens {
            for i in 0..<e { scores[i] = logits[t * e + i] }
            scores.withUnsafeMutableBufferPointer { Elementwise.softmax($0.baseAddress!, count: e) }

            // A group's score is the sum of its two best experts; only the best topk_group groups stay.
            if groups > 1 {
                for g in 0..<groups {
                    let slice = scores[(g * perGroup)..<((g + 1) * perGroup)]
                    groupScores[g] = Self.topIndices(Array(slice), count: min(2, perGroup)).reduce(0) { $0 + slice[slice.startIndex + $1] }
                }
                let keep = Set(Self.topIndices(groupScores, count: c.topkGroup))
                for i in 0..<e { allowed[i] = keep.contains(i / perGroup) }
            }
            // Experts outside the kept groups score 0, below every softmax probability.
            let masked = (0..<e).map { allowed[$0] ? scores[$0] : 0 }
            let chosen = Self.topIndices(masked, count: k)
            var sum: Float = 0
            for (slot, expert) in chosen.enumerated() {
                experts[t * k + slot] = Int32(expert)
                weights[t * k + slot] = scores[expert]
                sum += scores[expert]
            }
            let denominator = c.normTopkProb ? sum + 1e-20 : 1
            for slot in 0..<k {
                weights[t * k + slot] = weights[t * k + slot] / denominator * Float(c.routedScalingFactor)
            }
        }
        return RoutingDecision(tokenCount: tokens, topK: k, experts: experts, weights: weights)
    }

    /// Indices of the `count` largest values, largest first; ties go to the lower index.
    static func topIndices(_ values: [Float], count: Int) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(count)
        for i in values.indices {
            var position = best.count
            while position > 0, values[best[position - 1]] < values[i] { position -= 1 }
            if position < count {
                best.insert(i, at: position)
                if best.count > count { best.removeLast() }
            }
        }
        return best
    }
}
