import SwitchyardKernels

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

/// Draws `topK` distinct experts per token, deterministically from a seed.
public struct RoutingGenerator: Sendable {
    public let experts: Int
    public let topK: Int
    private var rng: SplitMix64
    /// Per layer: cumulative popularity by rank, and the expert at each rank (empty for uniform).
    private var cumulative: [[Double]] = []
    private var expertAtRank: [[Int32]] = []

    public init(distribution: RoutingDistribution, experts: Int, topK: Int, layers: Int, seed: UInt64) {
        precondition(topK <= experts, "topK \(topK) exceeds \(experts) experts")
        self.experts = experts
        self.topK = topK
        rng = SplitMix64(seed: seed)
        if case let .zipf(s) = distribution {
            var running = 0.0
            let weights = (1...experts).map { r -> Double in running += 1 / pow(Double(r), s); return running }
            for _ in 0..<layers {
                cumulative.append(weights)
                var order = (0..<Int32(experts)).map { $0 }
                order.shuffle(using: &rng)
                expertAtRank.append(order)
            }
        }
    }

    /// The experts of `tokens` tokens in `layer`, token-major, written into `choices`.
    public mutating func route(layer: Int, tokens: Int, into choices: inout [Int32]) {
        if choices.count != tokens * topK { choices = Array(repeating: 0, count: tokens * topK) }
        for t in 0..<tokens {
            let base = t * topK
            for k in 0..<topK {
                var expert = draw(layer: layer)
                var tries = 0
                while choices[base..<(base + k)].contains(expert) {
                    tries += 1
                    // A very skewed distribution can make a k-th distinct draw slow: take the next free expert.
                    if tries > 64 {
                        expert = Int32((0..<experts).first { !choices[base..<(base + k)].contains(Int32($0)) }!)
                        break
                    }
                    expert = draw(layer: layer)
                }
                choices[base + k] = expert
            }
        }
    }

    private mutating func draw(layer: Int) -> Int32 {
        if cumulative.isEmpty { return Int32(truncatingIfNeeded: rng.next() % UInt64(experts)) }
        let table = cumulative[layer]
        let u = Double(rng.next() >> 11) * 0x1p-53 * table[table.count - 1]
        var lo = 0, hi = table.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if table[mid] <= u { lo = mid + 1 } else { hi = mid }
        }
        return expertAtRank[layer][lo]
    }
}

import Foundation
