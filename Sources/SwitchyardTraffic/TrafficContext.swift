/// What a ledger's numbers are about: the cluster's shape and where its roles sit.
public struct TrafficContext: Sendable, Equatable, Codable {
    public var hosts: Int
    public var layers: Int
    public var experts: Int
    public var hidden: Int
    /// "f32" or "bf16".
    public var payload: String
    public var transport: String
    /// Topology node of the coordinator and of each host (the cluster file's `device.node`).
    public var coordinatorNode: Int
    public var hostNodes: [Int]
    /// The cluster file and its topology file, when known.
    public var cluster: String?
    public var topology: String?
    /// Who wrote the ledger: nil for the coordinator, k for expert host k.
    public var writer: Int?

    public init(hosts: Int, layers: Int, experts: Int, hidden: Int, payload: String, transport: String,
                coordinatorNode: Int = 0, hostNodes: [Int]? = nil, cluster: String? = nil, topology: String? = nil, writer: Int? = nil) {
        self.hosts = hosts
        self.layers = layers
        self.experts = experts
        self.hidden = hidden
        self.payload = payload
        self.transport = transport
        self.coordinatorNode = coordinatorNode
        self.hostNodes = hostNodes ?? Array(repeating: coordinatorNode, count: hosts)
        self.cluster = cluster
        self.topology = topology
        self.writer = writer
    }

    /// Node of a matrix endpoint (0 the coordinator, k + 1 host k).
    public func node(ofEndpoint endpoint: Int) -> Int { endpoint == 0 ? coordinatorNode : hostNodes[endpoint - 1] }
    public var endpointNames: [String] { ["coordinator"] + (0..<hosts).map { "host \($0)" } }
}

/// One workload step: its wall time and the tokens it generated.
public struct TrafficStep: Sendable, Equatable, Codable {
    public var step: Int
    public var seconds: Double
    public var tokens: Int
}
