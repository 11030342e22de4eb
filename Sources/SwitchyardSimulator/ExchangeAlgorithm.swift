import SwitchyardTopology

/// How a token's activation reaches its experts and their partial sums come back.
public enum ExchangeAlgorithm: String, CaseIterable, Sendable {
    /// Once to each device holding one of the token's experts, in one bulk message per device pair;
    /// each device sends back one partial sum of its experts.
    case direct
    /// Once over the network to each other node holding one of its experts, to the GPU on the
    /// sender's rail there, which forwards it over the node's fabric to those experts' GPUs; that GPU
    /// adds the node's partial sums so one crosses back (DeepEP's normal internode kernels).
    case hierarchical
    /// One message per (token, expert) pair, NIC to NIC on any rail, no deduplication; each expert's
    /// output comes back in its own message (DeepEP's low-latency kernels).
    case lowLatency = "low-latency"
}

/// Turns routed tokens into the pair traffic of one dispatch and its combine under an algorithm.
/// Feed it each token's source device and the devices of its experts, then take `traffic()`.
public struct ExchangePlanner: Sendable {
    public let algorithm: ExchangeAlgorithm
    let links: LinkModel
    let nodeOf: [Int]
    /// relay[device × nodes + node]: the GPU of `node` on `device`'s rail (same local index).
    let relay: [Int]
    let nodes: Int
    let sizing: MessageSizing
    var dispatch: PairTraffic
    var combine: PairTraffic
    /// The longest journey of a forwarded token (network, then fabric).
    var longestRoute = 0.0
    /// (token, expert) pairs each dispatch carries, per device pair: the routes the wire sends.
    private var dispatchPairs: [Int]
    /// Device pairs the bulk dispatch and combine have carried anything over since `clear`: the
    /// only ones `traffic()` sizes (a 32-GPU topology has 1,024 pairs, a token touches a few).
    private var touchedDispatch: [Int] = []
    private var touchedCombine: [Int] = []
    // Per token: its distinct devices and the (token, expert) pairs on each.
    private var devices: [Int] = []
    private var slots: [Int] = []

    public init(links: LinkModel, topology: Topology, algorithm: ExchangeAlgorithm, sizing: MessageSizing) {
        precondition(links.deviceCount == topology.devices.count)
        self.algorithm = algorithm
        self.links = links
        nodeOf = topology.devices.map(\.node)
        nodes = topology.nodes.count
        let members = (0..<nodes).map { node in topology.devices.filter { $0.node == node } }
        var relay: [Int] = []
        for device in topology.devices {
            for node in 0..<nodes { relay.append(members[node][device.localIndex % members[node].count].index) }
        }
        self.relay = relay
        self.sizing = sizing
        dispatchPairs = Array(repeating: 0, count: links.deviceCount * links.deviceCount)
        dispatch = PairTraffic(deviceCount: links.deviceCount)
        dispatch.direct = algorithm == .lowLatency
        combine = dispatch
    }

    public mutating func clear() {
        dispatch.clear()
        combine.clear()
        for p in dispatchPairs.indices { dispatchPairs[p] = 0 }
        touchedDispatch.removeAll(keepingCapacity: true)
        touchedCombine.removeAll(keepingCapacity: true)
        longestRoute = 0
    }

    /// One token from `source` whose experts live on `owners` (one entry per (token, expert) pair).
    public mutating func add<C: Collection<Int>>(source: Int, owners: C) {
        let n = links.deviceCount
        if algorithm == .lowLatency {
            for d in owners where d != source {
                dispatch.add(source * n + d, bytes: sizing.dispatchBytes(tokens: 1, pairs: 1), messages: 1, tokens: 1)
                combine.add(d * n + source, bytes: sizing.combineBytes(tokens: 1), messages: 1, tokens: 1)
            }
            return
        }
        devices.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        for d in owners {
            if let i = devices.firstIndex(of: d) { slots[i] += 1 } else { devices.append(d); slots.append(1) }
        }
        let home = nodeOf[source]
        for (i, d) in devices.enumerated() where d != source && (algorithm == .direct || nodeOf[d] == home) {
            carry(from: source, to: d, pairs: slots[i])
        }
        guard algorithm == .hierarchical else { return }
        for node in 0..<nodes where node != home {
            var pairs = 0
            for (i, d) in devices.enumerated() where nodeOf[d] == node { pairs += slots[i] }
            guard pairs > 0 else { continue }
            let r = relay[source * nodes + node]
            // Once over the network to the relay, with every pair's metadata for the node; the relay
            // sends back one sum of the node's partials.
            carry(from: source, to: r, pairs: pairs)
            var route = links.latency[source * n + r]
            for (i, d) in devices.enumerated() where nodeOf[d] == node && d != r {
                carry(from: r, to: d, pairs: slots[i])
                route = links.latency[source * n + r] + links.latency[r * n + d]
            }
            longestRoute = max(longestRoute, route)
        }
    }

    /// One token from `from` to `to` with `pairs` of its (token, expert) pairs, and its partial sum back,
    /// in the bulk messages between the two.
    private mutating func carry(from: Int, to: Int, pairs: Int) {
        let n = links.deviceCount
        if dispatch.tokens[from * n + to] == 0 { touchedDispatch.append(from * n + to) }
        if combine.tokens[to * n + from] == 0 { touchedCombine.append(to * n + from) }
        dispatch.add(from * n + to, bytes: 0, messages: 0, tokens: 1)
        dispatchPairs[from * n + to] += pairs
        combine.add(to * n + from, bytes: 0, messages: 0, tokens: 1)
    }

    /// The dispatch and the combine. Bulk algorithms send one message per pair that moves anything,
    /// a wire frame of all the tokens and routes between the two.
    public func traffic() -> (dispatch: PairTraffic, combine: PairTraffic) {
        var d = dispatch, c = combine
        if algorithm != .lowLatency {
            // Every other pair carried nothing: no message, no bytes, as `clear` left it.
            for p in touchedDispatch {
                d.messages[p] = 1
                d.bytes[p] = sizing.dispatchBytes(tokens: Int(d.tokens[p]), pairs: dispatchPairs[p])
            }
            for p in touchedCombine {
                c.messages[p] = 1
                c.bytes[p] = sizing.combineBytes(tokens: Int(c.tokens[p]))
            }
        }
        if algorithm == .hierarchical { d.routeLatency = longestRoute; c.routeLatency = longestRoute }
        return (d, c)
    }
}

extension PairTraffic {
    mutating func add(_ pair: Int, bytes: Double, messages: Double, tokens: Double) {
        self.bytes[pair] += bytes
        self.messages[pair] += messages
        self.tokens[pair] += tokens
    }
}
