import SwitchyardTopology

/// How far the routed tokens spread: the counts published expert-parallel bandwidths divide by.
public struct RoutingSpread: Sendable, Equatable {
    public var tokens = 0
    /// (token, expert) pairs.
    public var pairs = 0
    /// (token, device) pairs: devices holding at least one of a token's experts, its own included.
    public var tokenDevices = 0
    /// (token, node) pairs, its own node included.
    public var tokenNodes = 0
    public var mostNodesOfAToken = 0

    public var nodesPerToken: Double { tokens > 0 ? Double(tokenNodes) / Double(tokens) : 0 }
    public var devicesPerToken: Double { tokens > 0 ? Double(tokenDevices) / Double(tokens) : 0 }
}

/// One colocated dispatch and combine over the first `ranks` GPUs of a topology, with experts
/// dealt contiguously: the measure of an expert-parallel communication library.
public struct AllToAllResult: Sendable {
    public var dispatch: ExchangeTime
    public var combine: ExchangeTime
    /// Bytes each rank sends (its own experts' tokens stay local; forwarded tokens count for the relay).
    public var dispatchBytesPerRank: [Double]
    public var combineBytesPerRank: [Double]
    public var ports: [LinkModel.Port]
    public var spread: RoutingSpread
}

public enum AllToAll {
    /// `nodeLimit`: each token's experts on at most that many nodes (DeepSeek-V3's grouped routing
    /// with a node's experts as a group); nil: uniform over every expert.
    public static func simulate(topology: Topology, ranks: Int, tokensPerRank: Int, hidden: Int, experts: Int, topK: Int,
                                dispatchDType: DispatchDType, combineDType: CombineDType, algorithm: ExchangeAlgorithm = .direct,
                                nodeLimit: Int? = nil, seed: UInt64 = 1) -> AllToAllResult {
        precondition(ranks >= 1 && ranks <= topology.devices.count && topK <= experts)
        let links = LinkModel(topology: topology)
        let owner = (0..<experts).map { $0 * ranks / experts }
        let nodeOf = topology.devices.map(\.node)
        let generator = RoutingGenerator(distribution: .uniform, experts: experts, topK: topK, layers: 1, seed: seed,
                                         groupLimit: nodeLimit.map { GroupLimit(groupOfExpert: owner.map { nodeOf[$0] }, limit: $0) })
        var planner = ExchangePlanner(links: links, topology: topology, algorithm: algorithm,
                                      sizing: MessageSizing(hidden: hidden, dispatch: dispatchDType, combine: combineDType))
        var choices = [Int32](repeating: 0, count: topK), owners = [Int](repeating: 0, count: topK)
        var spread = RoutingSpread(), nodes: [Int] = [], devices: [Int] = []
        nodes.reserveCapacity(topK)
        devices.reserveCapacity(topK)
        for token in 0..<(ranks * tokensPerRank) {
            generator.route(step: 0, layer: 0, token: token, into: &choices, at: 0)
            for k in 0..<topK { owners[k] = owner[Int(choices[k])] }
            planner.add(source: token / tokensPerRank, owners: owners)
            devices.removeAll(keepingCapacity: true)
            nodes.removeAll(keepingCapacity: true)
            for d in owners where !devices.contains(d) {
                devices.append(d)
                if !nodes.contains(nodeOf[d]) { nodes.append(nodeOf[d]) }
            }
            spread.tokens += 1
            spread.pairs += topK
            spread.tokenDevices += devices.count
            spread.tokenNodes += nodes.count
            spread.mostNodesOfAToken = max(spread.mostNodesOfAToken, nodes.count)
        }
        let traffic = planner.traffic()
        var scratch: [Double] = []
        return AllToAllResult(dispatch: links.exchange(traffic.dispatch, portBytes: &scratch),
                              combine: links.exchange(traffic.combine, portBytes: &scratch),
                              dispatchBytesPerRank: traffic.dispatch.sent(devices: ranks),
                              combineBytesPerRank: traffic.combine.sent(devices: ranks), ports: links.ports, spread: spread)
    }
}
