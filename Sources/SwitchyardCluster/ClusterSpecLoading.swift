import Foundation
import SwitchyardCore

extension ClusterSpec {
    public static func load(path: String) throws(ClusterError) -> ClusterSpec {
        try decode(try JSONField(contentsOfFile: path))
    }

    /// Parses and validates a cluster file's bytes; `file` names it in errors and anchors relative paths.
    public static func decode(_ data: Data, file: String) throws(ClusterError) -> ClusterSpec {
        try decode(try JSONField(document: data, file: file))
    }

    private static func decode(_ root: JSONField) throws(ClusterError) -> ClusterSpec {
        let file = root.file
        try root.object(allowedKeys: ["comment", "topology", "transport", "payload", "placement", "replicas", "coordinator", "hosts", "hostfile", "security", "exchange", "relays"])
        func resolve(_ relative: String) -> String { ClusterPaths.resolve(relative, besides: file) }

        let topologyField = try root.member("topology")
        let topology = try topologyField.string()
        guard !topology.isEmpty else { throw topologyField.fail("must name a topology file") }

        let transportField = try root.member("transport")
        let transportName = try transportField.string()
        guard let transport = ClusterTransport(rawValue: transportName) else {
            throw transportField.fail("\"\(transportName)\" is not a transport (zmq, mpi or inproc)")
        }
        var payload = ActivationPayloads.f32
        if let field = root.optionalMember("payload") {
            func type(_ field: JSONField) throws(JSONFileError) -> PayloadType {
                let name = try field.string()
                guard let type = PayloadType(rawValue: name) else { throw field.fail("\"\(name)\" is not a payload type (f32, bf16 or fp8)") }
                return type
            }
            if case .object = field.value {
                let directions = try field.object(allowedKeys: ["dispatch", "combine"])
                guard let dispatch = directions["dispatch"], let combine = directions["combine"] else {
                    throw field.fail("needs both \"dispatch\" and \"combine\" (or one payload type name for both)")
                }
                payload = ActivationPayloads(dispatch: try type(dispatch), combine: try type(combine))
            } else {
                payload = ActivationPayloads(try type(field))
            }
        }

        let hostsField = try root.member("hosts")
        let hostItems = try hostsField.elements()
        guard !hostItems.isEmpty else { throw hostsField.fail("needs at least one expert host") }
        guard hostItems.count <= ClusterSpec.maximumHosts else {
            throw hostsField.fail("lists \(hostItems.count) expert hosts, more than the \(ClusterSpec.maximumHosts) allowed")
        }
        let coordinator = try role(root.member("coordinator"), transport: transport, defaultName: "coordinator")
        let hosts = try hostItems.enumerated().map { (index, item) throws(ClusterError) in
            try role(item, transport: transport, defaultName: "host-\(index)")
        }
        try checkDistinct(coordinator: coordinator, hosts: hosts, items: hostItems, transport: transport)

        var placement = Placement.Strategy.contiguous
        if let field = root.optionalMember("placement") { placement = try strategy(field, hosts: hosts.count) }
        var replicas = 1
        if let field = root.optionalMember("replicas") {
            replicas = try field.integer()
            guard (1...hosts.count).contains(replicas) else { throw field.fail("\(replicas) replicas need 1...\(hosts.count) hosts") }
            if case .explicitReplicas = placement, replicas > 1 {
                throw field.fail("is given by the explicit lists of hosts per expert; leave \"replicas\" out")
            }
        }

        var hostfilePath: String?
        if let field = root.optionalMember("hostfile") {
            guard transport == .mpi else { throw field.fail("is only used with transport mpi") }
            hostfilePath = resolve(try field.string())
        }
        var comment: String?
        if let field = root.optionalMember("comment") { comment = try field.string() }
        let (exchange, relays) = try exchangeAndRelays(root, transport: transport, hosts: hosts)
        if root.optionalMember("relays") == nil, !relays.isEmpty, !coordinator.role.publicKeys.isEmpty {
            throw root.fail("lists CURVE keys, so \"relays\" must be listed too, each relay with its own \"public_key\"")
        }
        let security = try checkSecurity(root, transport: transport, roles: [coordinator] + hosts + relays)
        var seen = Set(([coordinator] + hosts).map(\.role.endpoint))
        for relay in relays where !seen.insert(relay.role.endpoint).inserted {
            throw (relay.endpointField ?? relay.cursor).fail("duplicate endpoint: \(relay.role.endpoint) is already another role's")
        }

        return ClusterSpec(file: file, comment: comment, topology: topology, topologyPath: resolve(topology), transport: transport,
                           payload: payload, placement: placement, replicas: replicas, coordinator: coordinator.role, hosts: hosts.map(\.role),
                           hostfilePath: hostfilePath, security: security, exchange: exchange, relays: relays.map(\.role),
                           exchangeIsExplicit: root.optionalMember("exchange") != nil)
    }

    /// `"security"` and the roles' `"public_key"`s: ZeroMQ only; every role lists a key or none
    /// does; `"none"` lists none.
    private static func checkSecurity(_ root: JSONField, transport: ClusterTransport, roles: [ParsedRole]) throws(ClusterError) -> ClusterSecurity {
        var security = ClusterSecurity.curve
        let field = root.optionalMember("security")
        if let field {
            guard transport == .zmq else { throw field.fail("is only used with transport zmq (MPI is never authenticated: see docs/SECURITY.md)") }
            let name = try field.string()
            guard let value = ClusterSecurity(rawValue: name) else { throw field.fail("\"\(name)\" is not a security mode (curve or none)") }
            security = value
        }
        let keyed = roles.filter { !$0.role.publicKeys.isEmpty }
        guard let first = keyed.first else { return security }
        if security == .none { throw first.cursor.fail("lists \"public_key\", but the file says \"security\": \"none\"") }
        if let bare = roles.first(where: { $0.role.publicKeys.isEmpty }) {
            throw bare.cursor.fail("needs \"public_key\" like the other roles (make one with switchyard keygen), or list no keys at all")
        }
        var owners: [String: String] = [:]
        for role in roles {
            for key in role.role.publicKeys {
                if let owner = owners[key.key] { throw role.cursor.fail("public key in \(key.file) is already \(owner)'s: each role needs its own key pair") }
                owners[key.key] = role.cursor.path
            }
        }
        return security
    }

    /// `"exchange"` (hierarchical by default when the hosts span several nodes, except over MPI)
    /// and `"relays"`, one per node in order of first appearance, each on its node. Relays of ipc
    /// and inproc clusters may be left out: they listen beside their node's first host.
    private static func exchangeAndRelays(_ root: JSONField, transport: ClusterTransport,
                                          hosts: [ParsedRole]) throws(ClusterError) -> (ClusterExchange, [ParsedRole]) {
        var nodes: [Int] = []
        for host in hosts where !nodes.contains(host.role.device.node) { nodes.append(host.role.device.node) }
        var exchange: ClusterExchange = nodes.count > 1 && transport != .mpi ? .hierarchical : .direct
        let field = root.optionalMember("exchange")
        if let field {
            let name = try field.string()
            guard let value = ClusterExchange(rawValue: name) else { throw field.fail("\"\(name)\" is not an exchange (direct or hierarchical)") }
            if value == .hierarchical, transport == .mpi {
                throw field.fail("hierarchical needs relay processes, which transport mpi does not start: use zmq or inproc, or say \"direct\"")
            }
            exchange = value
        }
        let relaysField = root.optionalMember("relays")
        guard exchange == .hierarchical else {
            if let relaysField { throw relaysField.fail("is only used with \"exchange\": \"hierarchical\"") }
            return (exchange, [])
        }
        guard let relaysField else {
            // Beside each node's first host: only where that needs no address of another machine.
            let relays = try nodes.enumerated().map { (index, node) throws(ClusterError) -> ParsedRole in
                let first = hosts.first { $0.role.device.node == node }!
                let device = DeviceRef(node: node, gpu: first.role.device.gpu)
                switch first.role.endpoint {
                case let .zmq(endpoint) where endpoint.hasPrefix("ipc://"):
                    let folder = endpoint.dropFirst("ipc://".count).split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                    return ParsedRole(role: ClusterRole(endpoint: .zmq("ipc://\(folder)/relay-\(index)"), device: device), endpointField: nil, cursor: root)
                case .inproc:
                    return ParsedRole(role: ClusterRole(endpoint: .inproc("inproc://switchyard-relay-\(index)"), device: device), endpointField: nil, cursor: root)
                default:
                    let why = field == nil ? "the hosts span \(nodes.count) nodes, so the exchange is hierarchical by default" : "\"exchange\": \"hierarchical\""
                    throw root.fail("\(why) and needs \"relays\": one endpoint per node (nodes \(nodes.map(String.init).joined(separator: ", "))), "
                        + "where each node's relay listens for the coordinator; or say \"exchange\": \"direct\"")
                }
            }
            return (exchange, relays)
        }
        let items = try relaysField.elements()
        guard items.count == nodes.count else {
            throw relaysField.fail("lists \(items.count) relays; the hosts span \(nodes.count) nodes (\(nodes.map(String.init).joined(separator: ", "))): give one per node, in that order")
        }
        let relays = try items.enumerated().map { (index, item) throws(ClusterError) in try role(item, transport: transport, defaultName: "relay-\(index)") }
        for (index, relay) in relays.enumerated() where relay.role.device.node != nodes[index] {
            throw try items[index].member("device").fail("relay \(index) serves node \(nodes[index]) (nodes in the order the hosts list them), so its device must be on node \(nodes[index])")
        }
        return (exchange, relays)
    }

    /// A role and the cursors of the fields that made its endpoint, for later complaints.
    private struct ParsedRole {
        var role: ClusterRole
        var endpointField: JSONField?
        var cursor: JSONField
    }

    private static func role(_ cursor: JSONField, transport: ClusterTransport, defaultName: String) throws(ClusterError) -> ParsedRole {
        let allowed: Set<String> = switch transport {
        case .zmq: ["endpoint", "address", "port", "device", "public_key"]
        case .mpi: ["rank", "device"]
        case .inproc: ["endpoint", "device"]
        }
        try cursor.object(allowedKeys: allowed, unknown: "is not used with transport \(transport.rawValue)")
        let device = try deviceRef(cursor.member("device"))
        switch transport {
        case .zmq:
            let keys = try publicKeys(cursor.optionalMember("public_key"), several: defaultName == "coordinator")
            if let field = cursor.optionalMember("endpoint") {
                if let extra = cursor.optionalMember("address") ?? cursor.optionalMember("port") { throw extra.fail("give either \"endpoint\" or \"address\" and \"port\", not both") }
                let text = try field.string()
                try checkZeroMQEndpoint(text, field)
                return ParsedRole(role: ClusterRole(endpoint: .zmq(text), device: device, publicKeys: keys), endpointField: field, cursor: cursor)
            }
            guard let addressField = cursor.optionalMember("address"), let portField = cursor.optionalMember("port") else {
                throw cursor.fail("needs \"endpoint\" (tcp://HOST:PORT or ipc://PATH), or \"address\" and \"port\", for transport zmq")
            }
            let address = try addressField.string()
            guard !address.isEmpty, !address.contains("/") else { throw addressField.fail("\"\(address)\" is not a host name or IP address") }
            let port = try portField.integer()
            guard (1...65535).contains(port) else { throw portField.fail("\(port) is out of range 1...65535") }
            let host = address.contains(":") && !address.hasPrefix("[") ? "[\(address)]" : address
            return ParsedRole(role: ClusterRole(endpoint: .zmq("tcp://\(host):\(port)"), device: device, publicKeys: keys), endpointField: portField, cursor: cursor)
        case .mpi:
            let field = try cursor.member("rank")
            let rank = try field.integer()
            guard rank >= 0 else { throw field.fail("\(rank) is not a rank (ranks start at 0)") }
            return ParsedRole(role: ClusterRole(endpoint: .mpi(rank: rank), device: device), endpointField: field, cursor: cursor)
        case .inproc:
            var name = "inproc://switchyard-\(defaultName)"
            if let field = cursor.optionalMember("endpoint") {
                name = try field.string()
                guard name.hasPrefix("inproc://"), name.count > "inproc://".count else { throw field.fail("\"\(name)\" is not an inproc://NAME endpoint") }
            }
            return ParsedRole(role: ClusterRole(endpoint: .inproc(name), device: device), endpointField: cursor.optionalMember("endpoint"), cursor: cursor)
        }
    }

    /// `"public_key"`: a key file's path, relative to the cluster file; the coordinator may give a list.
    private static func publicKeys(_ field: JSONField?, several: Bool) throws(ClusterError) -> [ClusterPublicKey] {
        guard let field else { return [] }
        let items: [JSONField]
        if case .array = field.value {
            guard several else { throw field.fail("an expert host has one public key: give one key file") }
            items = try field.elements()
            guard !items.isEmpty else { throw field.fail("lists no key file") }
        } else {
            items = [field]
        }
        return try items.map { (item) throws(ClusterError) in
            let path = ClusterPaths.resolve(try item.string(), besides: item.file)
            do throws(CurveKeyFile.Problem) { return ClusterPublicKey(file: path, key: try CurveKeyFile.readPublic(path)) } catch {
                throw item.fail(error.description)
            }
        }
    }

    private static func checkZeroMQEndpoint(_ text: String, _ field: JSONField) throws(ClusterError) {
        if text.hasPrefix("ipc://") {
            guard text.count > "ipc://".count else { throw field.fail("\"\(text)\" names no socket path") }
            return
        }
        guard text.hasPrefix("tcp://") else {
            throw field.fail("\"\(text)\" is not a ZeroMQ endpoint: use tcp://HOST:PORT or ipc://PATH")
        }
        let rest = text.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":"), colon != rest.startIndex else {
            throw field.fail("\"\(text)\" has no port: use tcp://HOST:PORT")
        }
        guard rest[..<colon] != "*" else { throw field.fail("\"\(text)\": the other side cannot connect to *, name the host") }
        let portText = rest[rest.index(after: colon)...]
        guard let port = Int(portText) else { throw field.fail("\"\(text)\": port \"\(portText)\" is not a number") }
        guard (1...65535).contains(port) else { throw field.fail("\"\(text)\": port \(port) is out of range 1...65535") }
    }

    private static func deviceRef(_ cursor: JSONField) throws(ClusterError) -> DeviceRef {
        try cursor.object(allowedKeys: ["node", "gpu"])
        let nodeField = try cursor.member("node"), gpuField = try cursor.member("gpu")
        let node = try nodeField.integer(), gpu = try gpuField.integer()
        guard node >= 0 else { throw nodeField.fail("\(node) is negative") }
        guard gpu >= 0 else { throw gpuField.fail("\(gpu) is negative") }
        if let problem = InputBounds.problem(node, allowed: 0...(ClusterSpec.maximumNodes - 1)) { throw nodeField.fail(problem) }
        if let problem = InputBounds.problem(gpu, allowed: 0...(ClusterSpec.maximumGPUsPerNode - 1)) { throw gpuField.fail(problem) }
        return DeviceRef(node: node, gpu: gpu)
    }

    /// Endpoints differ between all roles, MPI ranks are 0 for the coordinator and 1...N for
    /// the hosts, and no two hosts stand for the same device.
    private static func checkDistinct(coordinator: ParsedRole, hosts: [ParsedRole], items: [JSONField],
                                      transport: ClusterTransport) throws(ClusterError) {
        var seen: [ClusterEndpoint: String] = [coordinator.role.endpoint: "coordinator"]
        if transport == .mpi, case let .mpi(rank) = coordinator.role.endpoint, rank != 0 {
            throw coordinator.endpointField!.fail("the coordinator must be rank 0, got \(rank)")
        }
        var devices: [DeviceRef: Int] = [:]
        for (index, host) in hosts.enumerated() {
            let field = host.endpointField ?? host.cursor
            if let owner = seen[host.role.endpoint] {
                let what = transport == .mpi ? "rank collision" : "duplicate endpoint"
                throw field.fail("\(what): \(host.role.endpoint) is already used by \(owner)")
            }
            if case let .mpi(rank) = host.role.endpoint, !(1...hosts.count).contains(rank) {
                throw field.fail("rank \(rank) is out of range 1...\(hosts.count) (rank 0 is the coordinator, then one rank per host)")
            }
            seen[host.role.endpoint] = "hosts[\(index)]"
            if let other = devices[host.role.device] {
                throw try items[index].member("device").fail("\(host.role.device) already stands for hosts[\(other)]: one expert host per device")
            }
            devices[host.role.device] = index
        }
    }

    private static func strategy(_ cursor: JSONField, hosts: Int) throws(ClusterError) -> Placement.Strategy {
        if case let .string(name) = cursor.value {
            switch name {
            case "contiguous": return .contiguous
            case "round-robin": return .roundRobin
            // n_group comes from the model when the placement is made (`placement(for:)`).
            case "group-aligned": return .groupAligned(groups: 0)
            default: throw cursor.fail("\"\(name)\" is not a placement (contiguous, round-robin, group-aligned or {\"explicit\": [host per expert]})")
            }
        }
        guard case .object = cursor.value else {
            throw cursor.fail("is \(cursor.value.typeName), expected \"contiguous\", \"round-robin\", \"group-aligned\" or {\"explicit\": [...]}")
        }
        try cursor.object(allowedKeys: ["explicit"])
        let listField = try cursor.member("explicit")
        let list = try listField.elements()
        guard list.count <= ClusterSpec.maximumExperts else {
            throw listField.fail("lists \(list.count) experts, more than the \(ClusterSpec.maximumExperts) allowed")
        }
        func host(_ item: JSONField) throws(ClusterError) -> Int {
            let host = try item.integer()
            guard (0..<hosts).contains(host) else { throw item.fail("host \(host) does not exist (hosts are 0...\(hosts - 1))") }
            return host
        }
        // Each entry a host, or a list of hosts holding that expert (replicas, the primary first).
        guard list.contains(where: { if case .array = $0.value { true } else { false } }) else {
            return .explicit(try list.map { (item) throws(ClusterError) in try host(item) })
        }
        return .explicitReplicas(try list.map { (item) throws(ClusterError) in
            guard case .array = item.value else { return [try host(item)] }
            let set = try item.elements().map { (member) throws(ClusterError) in try host(member) }
            guard !set.isEmpty else { throw item.fail("lists no host") }
            guard Set(set).count == set.count else { throw item.fail("lists a host twice") }
            return set
        })
    }
}
