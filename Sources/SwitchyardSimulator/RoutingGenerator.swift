
/// How the simulated router spreads tokens over experts.
public enum RoutingDistribution: Sendable, Equatable, CustomStringConvertible {
    /// Every expert equally likely.
    case uniform
    /// Expert of popularity rank r (1-based) chosen with probability ∝ 1 / r^S; each layer ranks
    /// its experts in its own seeded random order, so the hot experts differ between layers.
    case zipf(Double)

    /// "uniform" or "zipf:S" with S ≥ 0.
    public init?(argument: String) {
        if argument == "uniform" { self = .uniform; return }
        guard argument.hasPrefix("zipf:"), let s = Double(argument.dropFirst(5)), s >= 0, s.isFinite else { return nil }
        self = .zipf(s)
    }

    public var description: String {
        switch self {
        case .uniform: "uniform"
        case let .zipf(s): "zipf:\(s)"
        }
    }
}

/// Draws `topK` distinct experts per token, deterministically: a token's experts depend only on
/// the seed, the step, the layer and the token's index, so a larger batch routes its first tokens
/// exactly as a smaller one does.
public struct RoutingGenerator: Sendable {
    public let experts: Int
    public let topK: Int
    private let seed: UInt64
    /// Per layer: cumulative popularity by rank, and the expert at each rank (empty for uniform).
    private var cumulative: [Double] = []
    private var expertAtRank: [[Int32]] = []

    public init(distribution: RoutingDistribution, experts: Int, topK: Int, layers: Int, seed: UInt64) {
        precondition(topK <= experts, "topK \(topK) exceeds \(experts) experts")
        self.experts = experts
        self.topK = topK
        self.seed = seed
        if case let .zipf(s) = distribution {
            var running = 0.0
            cumulative = (1...experts).map { r -> Double in running += 1 / pow(Double(r), s); return running }
            var rng = SplitMix64(seed: seed ^ 0x5A17_F00D)
            for _ in 0..<layers {
                var order = (0..<Int32(experts)).map { $0 }
                order.shuffle(using: &rng)
                expertAtRank.append(order)
            }
        }
    }

    /// Writes the experts of token `token` in `layer` of `step` into `choices[offset ..< offset + topK]`.
    public func route(step: Int, layer: Int, token: Int, into choices: inout [Int32], at offset: Int) {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(step) << 48 ^ UInt64(layer) << 32 ^ UInt64(token))
        _ = rng.next()
        for k in 0..<topK {
            var expert = draw(layer: layer, &rng)
            var tries = 0
            while choices[offset..<(offset + k)].contains(expert) {
                tries += 1
                // A very skewed distribution can make a k-th distinct draw slow: take the next free expert.
                if tries > 64 {
                    expert = Int32((0..<experts).first { !choices[offset..<(offset + k)].contains(Int32($0)) }!)
                    break
                }
                expert = draw(layer: layer, &rng)
            }
            choices[offset + k] = expert
        }
    }

    private func draw(layer: Int, _ rng: inout SplitMix64) -> Int32 {
        if cumulative.isEmpty { return Int32(truncatingIfNeeded: rng.next() % UInt64(experts)) }
        let u = Double(rng.next() >> 11) * 0x1p-53 * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] <= u { lo = mid + 1 } else { hi = mid }
        }
        return expertAtRank[layer][lo]
    }
}

import Foundation
import SwitchyardCore
