import SwitchyardCore

/// What a ledger's numbers are about: the cluster's shape and where its roles sit.
public struct TrafficContext: Sendable, Equatable, Codable {
    /// How activations travel each way: written as one name ("f32", "bf16") when both directions
    /// agree, else as {"dispatch": "fp8", "combine": "bf16"}.
    public typealias Payload = ActivationPayloads

    /// What carried the frames. `unknown` is a ledger made before its transport was known
    /// (`ClusterExperts`' placeholder, which the workload replaces).
    public enum Transport: String, Sendable, Codable, CaseIterable {
        case zmq, mpi, inproc, unknown
    }

    /// The most hosts, layers, experts and hidden values a traffic file may claim: generous for
    /// real models, and small enough that the per-layer, per-expert tables cannot exhaust memory.
    public static let limits = (hosts: 4096, layers: 4096, experts: 65536, hidden: 1 << 20, layerExperts: 1 << 24)

    public var hosts: Int
    public var layers: Int
    public var experts: Int
    public var hidden: Int
    public var payload: Payload
    public var transport: Transport
    /// The topology device the coordinator and each host stand for (the cluster file's `device`).
    public var coordinatorDevice: DevicePosition
    public var hostDevices: [DevicePosition]
    /// The cluster file and its topology file, when known.
    public var cluster: String?
    public var topology: String?
    /// Who wrote the ledger: nil for the coordinator, k for expert host k.
    public var writer: Int?
    /// "hierarchical" when the coordinator's peers are node relays (its "hosts" are relays, and
    /// each relay's own run of its node's hosts is in the folder relay-K); nil for direct.
    public var exchange: String?

    public init(hosts: Int, layers: Int, experts: Int, hidden: Int, payload: Payload, transport: Transport,
                coordinatorDevice: DevicePosition = DevicePosition(node: 0, gpu: 0), hostDevices: [DevicePosition]? = nil, cluster: String? = nil, topology: String? = nil, writer: Int? = nil) {
        self.hosts = hosts
        self.layers = layers
        self.experts = experts
        self.hidden = hidden
        self.payload = payload
        self.transport = transport
        self.coordinatorDevice = coordinatorDevice
        self.hostDevices = hostDevices ?? (0..<hosts).map { DevicePosition(node: coordinatorDevice.node, gpu: $0) }
        self.cluster = cluster
        self.topology = topology
        self.writer = writer
    }

    /// The same from the names callers hold (a payload type's and a transport's name); a
    /// transport name not listed is recorded as `unknown`.
    public init(hosts: Int, layers: Int, experts: Int, hidden: Int, payload: String, transport: String,
                coordinatorDevice: DevicePosition = DevicePosition(node: 0, gpu: 0), hostDevices: [DevicePosition]? = nil, cluster: String? = nil, topology: String? = nil, writer: Int? = nil) {
        guard let type = PayloadType(rawValue: payload).map(Payload.init) else { preconditionFailure("payload \(payload) is not f32, bf16 or fp8") }
        self.init(hosts: hosts, layers: layers, experts: experts, hidden: hidden, payload: type, transport: Transport(rawValue: transport) ?? .unknown,
                  coordinatorDevice: coordinatorDevice, hostDevices: hostDevices, cluster: cluster, topology: topology, writer: writer)
    }

    enum CodingKeys: String, CodingKey {
        case hosts, layers, experts, hidden, payload, transport, cluster, topology, writer, exchange
        case coordinatorDevice = "coordinator_device", hostDevices = "host_devices"
    }

    /// The device keys as files of older runs spell them; read when the snake_case ones are absent.
    enum LegacyKeys: String, CodingKey { case coordinatorDevice, hostDevices }

    /// Decodes and checks every figure the ledger's tables are sized and indexed by.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys, _ range: ClosedRange<Int>) throws -> Int {
            let value = try c.integer(Int.self, forKey: key)
            guard range.contains(value) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(value) is not in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        hosts = try count(.hosts, 1...Self.limits.hosts)
        layers = try count(.layers, 1...Self.limits.layers)
        experts = try count(.experts, 1...Self.limits.experts)
        hidden = try count(.hidden, 1...Self.limits.hidden)
        guard layers * experts <= Self.limits.layerExperts else {
            throw DecodingError.dataCorruptedError(forKey: .experts, in: c, debugDescription: "\(layers) layers × \(experts) experts is more than \(Self.limits.layerExperts)")
        }
        payload = try c.decode(Payload.self, forKey: .payload)
        transport = try c.decode(Transport.self, forKey: .transport)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        let old = !c.contains(.coordinatorDevice) && !c.contains(.hostDevices)
            && legacy.contains(.coordinatorDevice) && legacy.contains(.hostDevices)
        coordinatorDevice = old ? try legacy.decode(DevicePosition.self, forKey: .coordinatorDevice) : try c.decode(DevicePosition.self, forKey: .coordinatorDevice)
        hostDevices = old ? try legacy.decode([DevicePosition].self, forKey: .hostDevices) : try c.decode([DevicePosition].self, forKey: .hostDevices)
        guard hostDevices.count == hosts else {
            let problem = "\(hostDevices.count) devices for \(hosts) hosts"
            throw old ? DecodingError.dataCorruptedError(forKey: .hostDevices, in: legacy, debugDescription: problem)
                : DecodingError.dataCorruptedError(forKey: .hostDevices, in: c, debugDescription: problem)
        }
        cluster = try c.decodeIfPresent(String.self, forKey: .cluster)
        topology = try c.decodeIfPresent(String.self, forKey: .topology)
        writer = try c.contains(.writer) && !c.decodeNil(forKey: .writer) ? c.integer(Int.self, forKey: .writer) : nil
        exchange = try c.decodeIfPresent(String.self, forKey: .exchange)
        if let exchange, exchange != "hierarchical", exchange != "direct" {
            throw DecodingError.dataCorruptedError(forKey: .exchange, in: c, debugDescription: "\"\(exchange)\" is not an exchange (direct or hierarchical)")
        }
        if let writer, !(0..<hosts).contains(writer) {
            throw DecodingError.dataCorruptedError(forKey: .writer, in: c, debugDescription: "\(writer) is not a host in 0...\(hosts - 1)")
        }
    }

    /// Node of a matrix endpoint (0 the coordinator, k + 1 host k).
    public func device(ofEndpoint endpoint: Int) -> DevicePosition { endpoint == 0 ? coordinatorDevice : hostDevices[endpoint - 1] }
    public func node(ofEndpoint endpoint: Int) -> Int { device(ofEndpoint: endpoint).node }
    public var endpointNames: [String] { ["coordinator"] + (0..<hosts).map { isRelayed ? "relay \($0)" : "host \($0)" } }
    /// Whether the coordinator's peers are node relays.
    public var isRelayed: Bool { exchange == "hierarchical" }
}

/// One workload step: its wall time, the tokens it generated, and the prompt tokens it
/// processed (a step with any is a prefill step; 0 in files written before they were counted).
public struct TrafficStep: Sendable, Equatable {
    public var step: Int
    public var seconds: Double
    public var tokens: Int
    /// Prompt tokens the step read (its prefill part); 0 in files written before they were recorded.
    public var promptTokens: Int = 0

    public init(step: Int, seconds: Double, tokens: Int, promptTokens: Int = 0) {
        self.step = step
        self.seconds = seconds
        self.tokens = tokens
        self.promptTokens = promptTokens
    }
}
