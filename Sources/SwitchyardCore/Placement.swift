/// Which expert hosts hold each routed expert (the same slice on every layer): one primary, and
/// with `replicas` R > 1, R − 1 more on other hosts (on other nodes where there are several).
public struct Placement: Equatable, Sendable {
    public enum Strategy: Equatable, Sendable {
        /// Host h owns experts [h·E/N, (h+1)·E/N); the first E mod N hosts take one more each.
        case contiguous
        /// Expert e lives on host e mod N.
        case roundRobin
        /// `hosts[e]` is expert e's host; hosts may own no experts.
        case explicit([Int])
        /// `hosts[e]` lists the hosts holding expert e, the first its primary.
        case explicitReplicas([[Int]])
        /// The router's expert groups (`n_group` contiguous blocks of experts, DeepSeek-V3 style)
        /// each kept on one node: groups go to nodes in contiguous runs, and a node's experts are
        /// spread contiguously over its hosts. A token limited to `topk_group` groups then reaches
        /// at most `topk_group` nodes.
        case groupAligned(groups: Int)
    }

    public let strategy: Strategy
    public let expertCount: Int
    public let hostCount: Int
    /// How many hosts hold each expert.
    public let replicas: Int
    private let hostOfExpert: [Int]
    private let hostsOfExpert: [[Int]]
    private let expertsOfHost: [[Int]]

    /// `nodeOfHost[h]` (when known) lets replicas of an expert go to other nodes than its primary.
    public init(_ strategy: Strategy, experts: Int, hosts: Int, replicas: Int = 1, nodeOfHost: [Int]? = nil) throws(PlacementError) {
        guard experts > 0 else { throw .noExperts(experts) }
        guard hosts > 0 else { throw .noHosts(hosts) }
        guard (1...hosts).contains(replicas) else { throw .replicasOutOfRange(replicas: replicas, hosts: hosts) }
        var owner = [Int](repeating: 0, count: experts)
        switch strategy {
        case .contiguous:
            let base = experts / hosts, extra = experts % hosts
            for host in 0..<hosts {
                let start = host * base + min(host, extra)
                let count = base + (host < extra ? 1 : 0)
                for expert in start..<start + count { owner[expert] = host }
            }
        case .roundRobin:
            for expert in 0..<experts { owner[expert] = expert % hosts }
        case let .explicit(assignment):
            guard assignment.count == experts else { throw .wrongLength(got: assignment.count, experts: experts) }
            for (expert, host) in assignment.enumerated() where !(0..<hosts).contains(host) {
                throw .hostOutOfRange(expert: expert, host: host, hosts: hosts)
            }
            owner = assignment
        case let .groupAligned(groups):
            guard groups > 0, experts % groups == 0 else { throw .groupsDoNotDivide(groups: groups, experts: experts) }
            owner = Self.groupAligned(groups: groups, experts: experts, nodeOfHost: nodeOfHost ?? Array(repeating: 0, count: hosts))
        case let .explicitReplicas(sets):
            guard sets.count == experts else { throw .wrongLength(got: sets.count, experts: experts) }
            for (expert, set) in sets.enumerated() {
                guard !set.isEmpty else { throw .noHostForExpert(expert: expert) }
                for host in set where !(0..<hosts).contains(host) { throw .hostOutOfRange(expert: expert, host: host, hosts: hosts) }
                guard Set(set).count == set.count else { throw .repeatedHost(expert: expert) }
            }
            owner = sets.map { $0[0] }
        }
        var holders: [[Int]]
        if case let .explicitReplicas(sets) = strategy {
            holders = sets
        } else {
            holders = owner.map { [$0] }
            // Replica r starts r·N/R hosts after the primary, skipping hosts (and, where nodes are
            // known, nodes) that already hold the expert.
            let stride = max(1, hosts / replicas)
            for expert in 0..<experts {
                for r in 1..<replicas {
                    let start = (owner[expert] + r * stride) % hosts
                    let free = (0..<hosts).map { (start + $0) % hosts }.filter { !holders[expert].contains($0) }
                    let usedNodes = Set(holders[expert].compactMap { nodeOfHost?[$0] })
                    let chosen = free.first { host in nodeOfHost.map { !usedNodes.contains($0[host]) } ?? true } ?? free[0]
                    holders[expert].append(chosen)
                }
            }
        }
        var owned = [[Int]](repeating: [], count: hosts)
        for (expert, set) in holders.enumerated() { for host in set { owned[host].append(expert) } }
        self.strategy = strategy
        self.expertCount = experts
        self.hostCount = hosts
        self.replicas = holders.map(\.count).max() ?? 1
        self.hostOfExpert = owner
        self.hostsOfExpert = holders
        self.expertsOfHost = owned.map { $0.sorted() }
    }

    /// A placement given by its holders directly; an expert may have none (`sub-placements`).
    private init(holders: [[Int]], hosts: Int) {
        var owned = [[Int]](repeating: [], count: hosts)
        for (expert, set) in holders.enumerated() { for host in set { owned[host].append(expert) } }
        strategy = .explicitReplicas(holders)
        expertCount = holders.count
        hostCount = hosts
        replicas = max(1, holders.map(\.count).max() ?? 1)
        hostOfExpert = holders.map { $0.first ?? -1 }
        hostsOfExpert = holders
        expertsOfHost = owned.map { $0.sorted() }
    }

    /// Groups in contiguous runs over the nodes (in order of first appearance), each node's
    /// groups' experts contiguously over its hosts; a node with no group gets none.
    static func groupAligned(groups: Int, experts: Int, nodeOfHost: [Int]) -> [Int] {
        var nodes: [Int] = []
        for node in nodeOfHost where !nodes.contains(node) { nodes.append(node) }
        let perGroup = experts / groups
        var owner = [Int](repeating: 0, count: experts)
        for (index, node) in nodes.enumerated() {
            // Groups [g0, g1) live on this node: a contiguous share, as `contiguous` deals experts.
            let g0 = groups * index / nodes.count, g1 = groups * (index + 1) / nodes.count
            let hosts = nodeOfHost.indices.filter { nodeOfHost[$0] == node }
            let first = g0 * perGroup, count = (g1 - g0) * perGroup
            for offset in 0..<count { owner[first + offset] = hosts[offset * hosts.count / max(1, count)] }
        }
        return owner
    }

    /// The placement a node relay's hosts see (hierarchical exchange): `hosts` (global indices, in
    /// order) renumbered 0…, each expert held by those of its holders among them; an expert the
    /// node does not hold has no host here, and a plan that asks for it fails (`noLiveReplica`).
    public func restricted(to hosts: [Int]) -> Placement {
        var local = [Int](repeating: -1, count: hostCount)
        for (index, host) in hosts.enumerated() { local[host] = index }
        return Placement(holders: hostsOfExpert.map { $0.compactMap { local[$0] >= 0 ? local[$0] : nil } }, hosts: hosts.count)
    }

    /// The placement the coordinator sees in a hierarchical exchange: one "host" per node (its
    /// relay), `nodes` giving each host's relay index; an expert lives on the nodes of its holders,
    /// its primary's node first.
    public func grouped(relayOfHost: [Int], relays: Int) -> Placement {
        precondition(relayOfHost.count == hostCount, "one relay per host")
        let holders = hostsOfExpert.map { set -> [Int] in
            var nodes: [Int] = []
            for host in set where !nodes.contains(relayOfHost[host]) { nodes.append(relayOfHost[host]) }
            return nodes
        }
        return Placement(holders: holders, hosts: relays)
    }

    /// The expert's primary host.
    public func host(of expert: Int) -> Int { hostOfExpert[expert] }

    /// Every host holding the expert, its primary first.
    public func hosts(of expert: Int) -> [Int] { hostsOfExpert[expert] }

    /// The experts `host` holds (as primary or replica), ascending.
    public func experts(of host: Int) -> [Int] { expertsOfHost[host] }

    /// The host of every expert, by expert id: the explicit form of any strategy.
    public var assignment: [Int] { hostOfExpert }

    /// Hosts that own no expert (possible when N > E, or by an explicit assignment).
    public var idleHosts: [Int] { (0..<hostCount).filter { expertsOfHost[$0].isEmpty } }

    /// What coordinator and hosts compare in the hello: the assignment itself, digested, so two
    /// strategies that give the same assignment agree.
    public var fingerprint: String {
        var bytes: [UInt8] = []
        for host in hostOfExpert { withUnsafeBytes(of: UInt32(truncatingIfNeeded: host).littleEndian) { bytes.append(contentsOf: $0) } }
        guard hostsOfExpert.contains(where: { $0.count > 1 }) else { return "placement-\(expertCount)x\(hostCount)-" + FNV1a64.hex(bytes) }
        for set in hostsOfExpert {
            withUnsafeBytes(of: UInt32(set.count).littleEndian) { bytes.append(contentsOf: $0) }
            for host in set { withUnsafeBytes(of: UInt32(host).littleEndian) { bytes.append(contentsOf: $0) } }
        }
        return "placement-\(expertCount)x\(hostCount)r\(replicas)-" + FNV1a64.hex(bytes)
    }
}

public enum PlacementError: Error, Equatable, Sendable, CustomStringConvertible {
    case noExperts(Int)
    case noHosts(Int)
    case wrongLength(got: Int, experts: Int)
    case hostOutOfRange(expert: Int, host: Int, hosts: Int)
    case replicasOutOfRange(replicas: Int, hosts: Int)
    case noHostForExpert(expert: Int)
    case repeatedHost(expert: Int)
    case groupsDoNotDivide(groups: Int, experts: Int)

    public var description: String {
        switch self {
        case let .noExperts(count): "a placement needs at least one expert, got \(count)"
        case let .noHosts(count): "a placement needs at least one host, got \(count)"
        case let .wrongLength(got, experts): "an explicit placement lists \(got) hosts, but the model has \(experts) experts: give one host per expert"
        case let .hostOutOfRange(expert, host, hosts): "expert \(expert) is placed on host \(host), but hosts are 0...\(hosts - 1)"
        case let .replicasOutOfRange(replicas, hosts): "\(replicas) replicas asked for, but there are \(hosts) hosts: give 1...\(hosts)"
        case let .noHostForExpert(expert): "expert \(expert) is placed on no host"
        case let .repeatedHost(expert): "expert \(expert) lists one host twice"
        case let .groupsDoNotDivide(groups, experts):
            "a group-aligned placement needs the model's n_group (\(groups)) to divide its \(experts) experts into equal groups"
        }
    }
}
