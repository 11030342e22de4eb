import SwitchyardModel
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

    public init(routing: RoutingDecision, placement: Placement) throws(DispatchPlanError) {
        guard routing.tokenCount <= Int(UInt32.max) else { throw .tooManyTokens(routing.tokenCount) }
        var routes = [TokenRoutes](repeating: TokenRoutes(), count: placement.hostCount)
        var perExpert = [Int](repeating: 0, count: placement.expertCount)
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
                let host = placement.host(of: expert)
                // Tokens arrive in ascending order, so a token's row is the last one if it has one.
                if routes[host].tokens.last != UInt32(token) { routes[host].beginRow(token: UInt32(token)) }
                routes[host].appendPair(expert: UInt32(expert), weight: weight)
                perExpert[expert] += 1
            }
        }
        self.tokenCount = routing.tokenCount
        self.topK = routing.topK
        self.expertCount = placement.expertCount
        self.hosts = routes.enumerated().map { HostDispatch(host: $0.offset, routes: $0.element) }
        self.tokensPerExpert = perExpert
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

    public var description: String {
        switch self {
        case let .tooManyTokens(count): "a batch of \(count) tokens does not fit 32-bit token indices"
        case let .expertOutOfRange(token, slot, expert, experts): "token \(token) slot \(slot) chose expert \(expert), experts are 0...\(experts - 1)"
        case let .duplicateExpert(token, expert): "token \(token) chose expert \(expert) twice"
        case let .weightNotFinite(token, slot, weight): "token \(token) slot \(slot) has gate weight \(weight)"
        }
    }
}
