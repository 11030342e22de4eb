
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

/// Experts fall into groups (the nodes of their GPUs); each token's experts come from at most
/// `limit` groups, as DeepSeek-V3's router keeps a token to `topk_group` of `n_group` groups.
public struct GroupLimit: Sendable, Equatable {
    /// The group of each expert, 0-based.
    public var groupOfExpert: [Int]
    public var limit: Int

    /// Group labels may be any integers (node indices); they are renumbered 0, 1, … in order.
    public init(groupOfExpert: [Int], limit: Int) {
        let labels = Array(Set(groupOfExpert)).sorted()
        let dense = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, $0.offset) })
        self.groupOfExpert = groupOfExpert.map { dense[$0]! }
        self.limit = limit
    }

    public var groupCount: Int { (groupOfExpert.max() ?? -1) + 1 }

    /// Why no token could get `topK` distinct experts, or nil: the `limit` smallest groups must hold them.
    public func problem(topK: Int) -> String? {
        guard limit >= 1 else { return "must allow at least 1 node, got \(limit)" }
        var sizes = [Int](repeating: 0, count: groupCount)
        for g in groupOfExpert { sizes[g] += 1 }
        let fewest = sizes.sorted().prefix(limit).reduce(0, +)
        guard fewest >= topK else {
            return "\(limit) node\(limit == 1 ? "" : "s") may hold only \(fewest) experts, fewer than the \(topK) each token needs"
        }
        return nil
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
    /// Node-limited routing (nil when the limit allows every group): per layer, each expert's log popularity.
    private let groupLimit: GroupLimit?
    private var logWeight: [[Double]] = []

    public init(distribution: RoutingDistribution, experts: Int, topK: Int, layers: Int, seed: UInt64, groupLimit: GroupLimit? = nil) {
        precondition(topK <= experts, "topK \(topK) exceeds \(experts) experts")
        if let groupLimit {
            precondition(groupLimit.groupOfExpert.count == experts && groupLimit.problem(topK: topK) == nil, "bad group limit")
        }
        self.experts = experts
        self.topK = topK
        self.seed = seed
        self.groupLimit = groupLimit.flatMap { $0.limit < $0.groupCount ? $0 : nil }
        if case let .zipf(s) = distribution {
            var running = 0.0
            cumulative = (1...experts).map { r -> Double in running += 1 / pow(Double(r), s); return running }
            var rng = SplitMix64(seed: seed ^ 0x5A17_F00D)
            for _ in 0..<layers {
                var order = (0..<Int32(experts)).map { $0 }
                order.shuffle(using: &rng)
                expertAtRank.append(order)
                var weights = [Double](repeating: 0, count: experts)
                for (rank, e) in order.enumerated() { weights[Int(e)] = -s * log(Double(rank + 1)) }
                logWeight.append(weights)
            }
        }
    }

    /// Writes the experts of token `token` in `layer` of `step` into `choices[offset ..< offset + topK]`.
    public func route(step: Int, layer: Int, token: Int, into choices: inout [Int32], at offset: Int) {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(step) << 48 ^ UInt64(layer) << 32 ^ UInt64(token))
        _ = rng.next()
        if let groupLimit { return routeLimited(layer: layer, groupLimit, &rng, into: &choices, at: offset) }
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

    /// DeepSeek-V3's grouped top-k on random scores: every expert gets a key (a uniform draw, or
    /// log popularity plus Gumbel noise, which makes top-k a draw without replacement by popularity);
    /// a group scores its best key; the token takes the `limit` best groups and the top-k experts in them.
    private func routeLimited(layer: Int, _ groups: GroupLimit, _ rng: inout SplitMix64, into choices: inout [Int32], at offset: Int) {
        let groupCount = groups.groupCount
        withUnsafeTemporaryAllocation(of: Double.self, capacity: experts + 2 * groupCount + topK) { buffer in
            let keys = buffer.baseAddress!, groupBest = keys + experts, chosen = groupBest + groupCount, topKeys = chosen + groupCount
            for g in 0..<groupCount { groupBest[g] = -.infinity; chosen[g] = 0 }
            for e in 0..<experts {
                let bits = Double(rng.next() >> 11)
                let key = logWeight.isEmpty ? bits : logWeight[layer][e] - log(-log((bits + 0.5) * 0x1p-53))
                keys[e] = key
                groupBest[groups.groupOfExpert[e]] = max(groupBest[groups.groupOfExpert[e]], key)
            }
            for _ in 0..<groups.limit {
                var best = -1
                for g in 0..<groupCount where chosen[g] == 0 && (best < 0 || groupBest[g] > groupBest[best]) { best = g }
                chosen[best] = 1
            }
            // Insertion into a sorted top-k: k is small.
            var filled = 0
            for e in 0..<experts where chosen[groups.groupOfExpert[e]] == 1 {
                let key = keys[e]
                if filled == topK && key <= topKeys[topK - 1] { continue }
                var i = min(filled, topK - 1)
                while i > 0 && topKeys[i - 1] < key {
                    topKeys[i] = topKeys[i - 1]
                    choices[offset + i] = choices[offset + i - 1]
                    i -= 1
                }
                topKeys[i] = key
                choices[offset + i] = Int32(e)
                filled = min(filled + 1, topK)
            }
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
