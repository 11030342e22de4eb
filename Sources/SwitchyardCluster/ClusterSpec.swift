import SwitchyardCore
import SwitchyardModelConfig

/// A cluster file (docs/CLUSTER.md): which transport joins a coordinator and its expert hosts,
/// where each listens, which topology device each stands for, and how experts are placed.
public struct ClusterSpec: Equatable, Sendable {
    /// The cluster file's path, as given.
    public var file: String
    public var comment: String?
    /// The topology file as written in the cluster file (relative to it).
    public var topology: String
    /// The topology file's path resolved against the cluster file's folder.
    public var topologyPath: String
    public var transport: ClusterTransport
    public var payload: ActivationPayloads
    public var placement: Placement.Strategy
    /// How many hosts hold each expert (`"replicas"`), spread over nodes where the devices allow.
    public var replicas: Int = 1
    public var coordinator: ClusterRole
    /// Expert hosts in host order: host i is `hosts[i]`.
    public var hosts: [ClusterRole]
    /// MPI only: the hostfile to hand to mpirun, resolved against the cluster file's folder.
    public var hostfilePath: String?
    /// ZeroMQ only: CURVE (the default) or `"none"`, which the file must say to run tcp without keys.
    public var security: ClusterSecurity = .curve
    /// How a layer's tokens reach the hosts: straight to each host, or once per node through its relay.
    public var exchange: ClusterExchange = .direct
    /// Hierarchical exchange: relay r serves node `relayNodes[r]` (nodes in order of first
    /// appearance among the hosts); `relays[r]` is where it listens for the coordinator.
    public var relays: [ClusterRole] = []
    /// Whether the file says `"exchange"` (else it follows from the hosts' nodes).
    public var exchangeIsExplicit = false

    /// Ceilings on what a cluster file may list, so a hostile file cannot make the tables built
    /// from it huge: expert hosts, and the device positions topology files allow.
    public static let maximumHosts = 4096
    public static let maximumNodes = 4096
    public static let maximumGPUsPerNode = 1024
    /// An explicit placement names one host per expert, and models have at most this many.
    public static let maximumExperts = ModelConfig.bounds.nRoutedExperts.upperBound

    /// The placement for a model with `experts` routed experts; an explicit list must have one entry per expert.
    /// The placement of `experts` experts; a group-aligned one needs the model's `groups` (n_group).
    public func placement(experts: Int, groups: Int? = nil) throws(ClusterError) -> Placement {
        var strategy = placement
        if case .groupAligned = strategy {
            guard let groups else { throw ClusterError(file: file, path: "$.placement", problem: "group-aligned needs the model's n_group") }
            strategy = .groupAligned(groups: groups)
        }
        do {
            return try Placement(strategy, experts: experts, hosts: hosts.count, replicas: replicas, nodeOfHost: hosts.map(\.device.node))
        } catch {
            throw ClusterError(file: file, path: placement.jsonPath, problem: error.description)
        }
    }

    public func placement(for config: ModelConfig) throws(ClusterError) -> Placement {
        try placement(experts: config.nRoutedExperts, groups: config.nGroup)
    }

    /// The cluster as MPI ranks run it: mpirun starts no relays, so a hierarchical exchange the
    /// file did not ask for becomes direct; nil when the file asks for one.
    public var overMPI: ClusterSpec? {
        guard exchange == .hierarchical else { return self }
        guard !exchangeIsExplicit else { return nil }
        var spec = self
        spec.exchange = .direct
        spec.relays = []
        return spec
    }

    /// The nodes the hosts stand for, in order of first appearance: relay r serves `relayNodes[r]`.
    public var relayNodes: [Int] {
        var nodes: [Int] = []
        for host in hosts where !nodes.contains(host.device.node) { nodes.append(host.device.node) }
        return nodes
    }

    /// Each host's relay (its node's index in `relayNodes`).
    public var relayOfHost: [Int] {
        let nodes = relayNodes
        return hosts.map { host in nodes.firstIndex(of: host.device.node)! }
    }

    /// The hosts relay `relay` serves, in host order.
    public func hosts(ofRelay relay: Int) -> [Int] {
        let relays = relayOfHost
        return hosts.indices.filter { relays[$0] == relay }
    }

    /// Whom the coordinator exchanges with: the hosts (direct) or the node relays (hierarchical),
    /// and the placement it plans over, with one "host" per relay when hierarchical.
    public func coordinatorPeers(_ placement: Placement) -> (roles: [ClusterRole], placement: Placement) {
        guard exchange == .hierarchical else { return (hosts, placement) }
        return (relays, placement.grouped(relayOfHost: relayOfHost, relays: relays.count))
    }

    /// The placement and index host `host` answers with in the handshake: the cluster's (direct),
    /// or, behind a relay, its node's placement and its place among the node's hosts.
    public func protocolView(ofHost host: Int, _ placement: Placement) -> (placement: Placement, index: Int, relay: Int?) {
        guard exchange == .hierarchical else { return (placement, host, nil) }
        let relay = relayOfHost[host]
        let members = hosts(ofRelay: relay)
        return (placement.restricted(to: members), members.firstIndex(of: host)!, relay)
    }
}

/// `"exchange"` in a cluster file (docs/CLUSTER.md).
public enum ClusterExchange: String, CaseIterable, Sendable {
    /// The coordinator sends each host the tokens of its experts.
    case direct
    /// The coordinator sends each token once to each node holding any of its experts, to that
    /// node's relay, which hands it on to the node's hosts and adds their partial sums before one
    /// combine per node goes back.
    case hierarchical
}

public enum ClusterTransport: String, CaseIterable, Sendable {
    case zmq
    case mpi
    /// Every role in one process; for tests and the simulator.
    case inproc
}

/// A coordinator or an expert host: how to reach it, and the device it stands for.
public struct ClusterRole: Equatable, Sendable {
    public var endpoint: ClusterEndpoint
    public var device: DeviceRef
    /// ZeroMQ with CURVE: the role's public key (`"public_key"`); a coordinator may list several,
    /// which every host admits (a key being rotated in beside the one going out).
    public var publicKeys: [ClusterPublicKey] = []

    public init(endpoint: ClusterEndpoint, device: DeviceRef, publicKeys: [ClusterPublicKey] = []) {
        self.endpoint = endpoint
        self.device = device
        self.publicKeys = publicKeys
    }
}

/// Whether the ZeroMQ links of a cluster authenticate and encrypt (docs/SECURITY.md).
public enum ClusterSecurity: String, CaseIterable, Sendable {
    /// Hosts are CURVE servers admitting the coordinator's keys; the coordinator checks each host's key.
    case curve
    /// Plaintext and unauthenticated: only on a network nobody else can reach.
    case none
}

/// A public key named by a cluster file: the key file's path (resolved against the cluster
/// file's folder; its secret key lives beside it) and the Z85 key it holds.
public struct ClusterPublicKey: Equatable, Sendable {
    public var file: String
    public var key: String

    public init(file: String, key: String) {
        self.file = file
        self.key = key
    }
}

public enum ClusterEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// A ZeroMQ endpoint: `tcp://HOST:PORT` or `ipc://PATH`.
    case zmq(String)
    case mpi(rank: Int)
    /// An in-process endpoint name, `inproc://NAME`.
    case inproc(String)

    public var description: String {
        switch self {
        case let .zmq(endpoint), let .inproc(endpoint): endpoint
        case let .mpi(rank): "MPI rank \(rank)"
        }
    }
}

/// The topology device (node, GPU) a role stands for: the traffic ledger's own type.
public typealias DeviceRef = DevicePosition

extension Placement.Strategy {
    /// The strategy's name in a cluster file.
    public var name: String {
        switch self {
        case .contiguous: "contiguous"
        case .roundRobin: "round-robin"
        case .groupAligned: "group-aligned"
        case .explicit, .explicitReplicas: "explicit"
        }
    }

    var jsonPath: String {
        if case .explicit = self { return "$.placement.explicit" }
        if case .explicitReplicas = self { return "$.placement.explicit" }
        return "$.placement"
    }
}
