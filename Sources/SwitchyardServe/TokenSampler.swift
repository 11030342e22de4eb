import Foundation
import SwitchyardCore

/// Picks the next token from one row of logits: the argmax at temperature 0 (ties to the lower
/// id, as `generate` and torch.argmax do), else a draw from softmax(logits / temperature) cut to
/// the nucleus of `topP`. Each request has its own generator, so a seeded request draws the same
/// tokens whatever else is in the batch.
public struct TokenSampler: Sendable {
    public let temperature: Double
    public let topP: Double
    private var generator: SplitMix64

    public init(temperature: Double, topP: Double, seed: UInt64) {
        self.temperature = temperature
        self.topP = topP
        generator = SplitMix64(seed: seed)
    }

    public mutating func next(_ logits: UnsafeBufferPointer<Float>) -> Int {
        precondition(!logits.isEmpty, "a row of logits has at least one entry")
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        guard temperature > 0 else { return best }

        // Probabilities relative to the largest logit, in Double so small temperatures do not overflow.
        let top = Double(logits[best])
        var weights = [Double](repeating: 0, count: logits.count)
        var total = 0.0
        for i in logits.indices {
            let w = logits[i].isNaN ? 0 : exp((Double(logits[i]) - top) / temperature)
            weights[i] = w
            total += w
        }
        var candidates = Array(weights.indices)
        var mass = total
        if topP < 1 {
            // Most likely first (lower id first on ties); keep tokens until their mass reaches top_p.
            let order = weights.indices.sorted { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
            candidates = []
            mass = 0
            for i in order {
                candidates.append(i)
                mass += weights[i]
                if mass >= topP * total { break }
            }
        }
        // 53 random bits: uniform in [0, 1).
        let u = Double(generator.next() >> 11) * 0x1p-53 * mass
        var cumulative = 0.0
        for i in candidates {
            cumulative += weights[i]
            if u < cumulative { return i }
        }
        return candidates.last ?? best
    }
}

