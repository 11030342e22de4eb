import SwitchyardTopology

/// One colocated dispatch and combine over the first `ranks` GPUs of a topology, with uniform
/// routing and experts dealt contiguously: the measure of an expert-parallel communication library.
public struct AllToAllResult: Sendable {
    public var dispatch: ExchangeTime
    public var combine: ExchangeTime
    /// Bytes each rank sends (its own experts' tokens stay local).
    public var dispatchBytesPerRank: [Double]
    public var combineBytesPerRank: [Double]
    public var ports: [LinkModel.Port]
}

public enum AllToAll {
    public static func simulate(topology: Topology, ranks: Int, tokensPerRank: Int, hidden: Int, experts: Int, topK: Int,
                                dispatchDType: DispatchDType, combineDType: CombineDType, seed: UInt64 = 1) -> AllToAllResult {
        precondition(ranks >= 1 && ranks <= topology.devices.count && topK <= experts)
        let links = LinkModel(topology: topology), count = topology.devices.count
        let generator = RoutingGenerator(distribution: .uniform, experts: experts, topK: topK, layers: 1, seed: seed)
        var choices = [Int32](repeating: 0, count: ranks * tokensPerRank * topK)
        for token in 0..<(ranks * tokensPerRank) { generator.route(step: 0, layer: 0, token: token, into: &choices, at: token * topK) }
        var dispatchPairs = [Double](repeating: 0, count: count * count), combinePairs = dispatchPairs
        let forward = dispatchDType.bytes(hidden: hidden), back = combineDType.bytes(hidden: hidden)
        for token in 0..<(ranks * tokensPerRank) {
            let source = token / tokensPerRank
            var seen: [Int] = []
            for k in 0..<topK {
                let rank = Int(choices[token * topK + k]) * ranks / experts
                guard rank != source else { continue }
                dispatchPairs[source * count + rank] += routingMetadataBytes
                if !seen.contains(rank) {
                    seen.append(rank)
                    dispatchPairs[source * count + rank] += forward
                    combinePairs[rank * count + source] += back
                }
            }
        }
        var scratch: [Double] = []
        let dispatch = links.exchange(pairBytes: dispatchPairs, portBytes: &scratch)
        let combine = links.exchange(pairBytes: combinePairs, portBytes: &scratch)
        func sent(_ pairs: [Double]) -> [Double] { (0..<ranks).map { s in (0..<count).reduce(0) { $0 + pairs[s * count + $1] } } }
        return AllToAllResult(dispatch: dispatch, combine: combine, dispatchBytesPerRank: sent(dispatchPairs),
                              combineBytesPerRank: sent(combinePairs), ports: links.ports)
    }
}
