import SwitchyardCore
import SwitchyardWire

/// Which tokens go to which host, with which experts and gate weights: built once per layer
/// from the router's decision, it drives the dispatch, the combine and the traffic ledger.
public struct DispatchPlan: Equatable, Sendable {
    public let tokenCount: Int
    public let topK: Int
    public let expertCount: Int
    /// One entry per host in host order; hosts that receive no tokens are here too, empty.
    public let hosts: [HostDispatch]
    /// How many tokens each expert processes, by expert id.
    public let tokensPerExpert: [Int]

    /// Plans a layer: each (token, expert) pair goes to a live host holding the expert; among an
    /// expert's live replicas its pairs take turns, so the load is balanced deterministically.
    public init(routing: RoutingDecision, placement: Placement, excluding lost: Set<Int> = []) throws(DispatchPlanError) {
        try self.init(tokenCount: routing.tokenCount, topK: routing.topK, pairs: try Self.pairs(of: routing, placement: placement),
                      placement: placement, excluding: lost)
    }

    /// The routing's (token, expert, weight) pairs, tokens ascending, each checked: expert in range,
    /// not chosen twice by one token, a finite weight.
    public static func pairs(of routing: RoutingDecision, placement: Placement) throws(DispatchPlanError) -> [Pair] {
        guard routing.tokenCount <= Int(UInt32.max) else { throw .tooManyTokens(routing.tokenCount) }
        var pairs: [Pair] = []
        pairs.reserveCapacity(routing.tokenCount * routing.topK)
        for token in 0..<routing.tokenCount {
            for slot in 0..<routing.topK {
                let expert = routing.expert(token: token, slot: slot)
                let weight = routing.weight(token: token, slot: slot)
                guard (0..<placement.expertCount).contains(expert) else {
                    throw .expertOutOfRange(token: token, slot: slot, expert: expert, experts: placement.expertCount)
                }
                for earlier in 0..<slot where routing.expert(token: token, slot: earlier) == expert {
                    throw .duplicateExpert(token: token, expert: expert)
                }
                guard weight.isFinite else { throw .weightNotFinite(token: token, slot: slot, weight: weight) }
                pairs.append(Pair(token: token, expert: expert, weight: weight))
            }
        }
        return pairs
    }

    /// One (token, expert, gate weight) of a layer's routing.
    public struct Pair: Equatable, Sendable {
        public var token: Int
        public var expert: Int
        public var weight: Float
        public init(token: Int, expert: Int, weight: Float) {
            self.token = token
            self.expert = expert
            self.weight = weight
        }
    }

    /// Plans `pairs` (tokens ascending) over the hosts not in `lost`: the layer's whole routing,
    /// or the pairs a lost host never answered, sent again to the survivors.
    public init(tokenCount: Int, topK: Int, pairs: [Pair], placement: Placement, excluding lost: Set<Int> = []) throws(DispatchPlanError) {
        var routes = [TokenRoutes](repeating: TokenRoutes(), count: placement.hostCount)
        var perExpert = [Int](repeating: 0, count: placement.expertCount)
        var turn = [Int](repeating: 0, count: placement.expertCount)
        for pair in pairs {
            let holders = placement.hosts(of: pair.expert)
            let live = lost.isEmpty ? holders : holders.filter { !lost.contains($0) }
            guard !live.isEmpty else { throw .noLiveReplica(expert: pair.expert, token: pair.token) }
            let host = live[turn[pair.expert] % live.count]
            turn[pair.expert] += 1
            // Tokens arrive in ascending order, so a token's row is the last one if it has one.
            if routes[host].tokens.last != UInt32(pair.token) { routes[host].beginRow(token: UInt32(pair.token)) }
            routes[host].appendPair(expert: UInt32(pair.expert), weight: pair.weight)
            perExpert[pair.expert] += 1
        }
        self.tokenCount = tokenCount
        self.topK = topK
        self.expertCount = placement.expertCount
        self.hosts = routes.enumerated().map { HostDispatch(host: $0.offset, routes: $0.element) }
        self.tokensPerExpert = perExpert
    }

    /// Every (token, expert, weight) pair host `host` was given, tokens ascending.
    public func pairs(of host: Int) -> [Pair] {
        let routes = hosts[host].routes
        var pairs: [Pair] = []
        for row in 0..<routes.count {
            for pair in routes.pairs(ofRow: row) {
                pairs.append(Pair(token: Int(routes.tokens[row]), expert: Int(routes.experts[pair]), weight: routes.weights[pair]))
            }
        }
        return pairs
    }

    public var hostCount: Int { hosts.count }
    /// Tokens each host receives: one copy per token, however many of its experts were chosen.
    public var tokensPerHost: [Int] { hosts.map(\.tokenCount) }
    /// (token, expert) pairs each host applies: its expert slots.
    public var pairsPerHost: [Int] { hosts.map(\.pairCount) }
    /// Hosts that get a dispatch this layer, ascending; the others get no message.
    public var activeHosts: [Int] { hosts.filter(\.receivesMessage).map(\.host) }
    public var idleHosts: [Int] { hosts.filter { !$0.receivesMessage }.map(\.host) }
}

/// One host's share of a layer's batch.
public struct HostDispatch: Equatable, Sendable {
    public let host: Int
    /// The tokens it receives, ascending, each once with all its pairs that live on this host.
    public let routes: TokenRoutes
    /// Per local expert that has work, ascending: rows in `routes` and their weights.
    public let work: [ExpertWork]

    init(host: Int, routes: TokenRoutes) {
        self.host = host
        self.routes = routes
        self.work = routes.expertWork
    }

    public var tokenCount: Int { routes.count }
    public var pairCount: Int { routes.pairCount }
    public var receivesMessage: Bool { !routes.isEmpty }
}

public enum DispatchPlanError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooManyTokens(Int)
    case expertOutOfRange(token: Int, slot: Int, expert: Int, experts: Int)
    case duplicateExpert(token: Int, expert: Int)
    case weightNotFinite(token: Int, slot: Int, weight: Float)
    /// Every host holding the expert is lost.
    case noLiveReplica(expert: Int, token: Int)

    public var description: String {
        switch self {
        case let .tooManyTokens(count): "a batch of \(count) tokens does not fit 32-bit token indices"
        case let .expertOutOfRange(token, slot, expert, experts): "token \(token) slot \(slot) chose expert \(expert), experts are 0...\(experts - 1)"
        case let .duplicateExpert(token, expert): "token \(token) chose expert \(expert) twice"
        case let .weightNotFinite(token, slot, weight): "token \(token) slot \(slot) has gate weight \(weight)"
        case let .noLiveReplica(expert, token): "expert \(expert) (chosen by token \(token)) has no live host"
        }
    }
}

extension DispatchPlan {
    /// The dispatch for `host`: its routes and its tokens' rows gathered out of the batch's
    /// `[tokenCount × hidden]` activations straight into `payload.dispatch`, asking for the combine
    /// in `payload.combine`; nil when it gets no tokens.
    public func dispatchFrame(host: Int, address: FrameAddress, activations: [Float], hidden: Int, payload: ActivationPayloads) -> WireFrame? {
        precondition(activations.count == tokenCount * hidden, "\(activations.count) activations are not \(tokenCount) tokens × \(hidden)")
        let dispatch = hosts[host]
        guard dispatch.receivesMessage else { return nil }
        let rows = ActivationRows(gathering: dispatch.routes.tokens, from: activations, width: hidden, as: payload.dispatch)
        return WireFrame(address: address, host: host, body: .dispatch(Dispatch(routes: dispatch.routes, activations: rows, combineType: payload.combine)))
    }

    /// Every dispatch of the layer, in host order; hosts without tokens get none.
    public func dispatchFrames(address: FrameAddress, activations: [Float], hidden: Int, payload: ActivationPayloads) -> [WireFrame] {
        activeHosts.compactMap { dispatchFrame(host: $0, address: address, activations: activations, hidden: hidden, payload: payload) }
    }
}
