import SwitchyardKernels
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire

enum RuntimeSamples {
    /// A router's decision with `topK` distinct experts per token and weights summing to one.
    static func routing(tokens: Int, topK: Int = 4, experts: Int = 128, seed: UInt64) -> RoutingDecision {
        var random = SplitMix64(seed: seed)
        var ids: [Int32] = [], weights: [Float] = []
        for _ in 0..<tokens {
            var chosen: [Int32] = []
            while chosen.count < topK {
                let expert = Int32(random.next() % UInt64(experts))
                if !chosen.contains(expert) { chosen.append(expert) }
            }
            let raw = (0..<topK).map { _ in random.nextFloat() + 0.05 }
            let total = raw.reduce(0, +)
            ids += chosen
            weights += raw.map { $0 / total }
        }
        return RoutingDecision(tokenCount: tokens, topK: topK, experts: ids, weights: weights)
    }

    static func activations(tokens: Int, hidden: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<tokens * hidden).map { _ in random.nextFloat() * 2 - 1 }
    }

    /// The fake expert of these tests: out = (expert + 1) · x.
    static func fakeExpert(_ expert: Int, _ input: [Float], _ rows: Int) -> [Float] {
        input.map { Float(expert + 1) * $0 }
    }
}
