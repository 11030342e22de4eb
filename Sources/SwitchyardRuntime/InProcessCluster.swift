import Foundation
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// A whole cluster in one process: each expert host a thread with its own slice of experts,
/// talking to the coordinator through encoded frames. For tests, debugging and `--transport inproc`.
public final class InProcessCluster {
    public let experts: ClusterExperts
    /// The links, whose coordinator side counts the bytes it moved.
    public let network: InProcessNetwork
    private let threads: [Thread]
    private let hosts: [ExpertHost]
    private let finished: DispatchGroup
    private let failures: FailureList

    /// Loads each host's experts from `source` (only the ones it owns) and completes the handshake.
    /// The hosts record into `traffic` (default: in memory, transport inproc) and write their
    /// ledgers into its run directory when they stop.
    public init(config: ModelConfig, placement: Placement, source: WeightSource, payload: ActivationPayloads,
                hostSources: ((Int) -> WeightSource)? = nil, handshakeTimeout: Duration = .seconds(30),
                traffic: RunTraffic? = nil, faults: [InjectedFault] = []) throws {
        let traffic = traffic ?? RunTraffic(config: config, hosts: placement.hostCount, payload: payload, transport: .inproc)
        let network = InProcessNetwork(hosts: placement.hostCount)
        let limits = WireLimits(config: config)
        let finished = DispatchGroup()
        let failures = FailureList()
        var threads: [Thread] = []
        var hosts: [ExpertHost] = []
        for host in 0..<placement.hostCount {
            let expertHost = try ExpertHost(index: host, config: config, placement: placement, source: hostSources?(host) ?? source,
                                            transport: network.host(host), traffic: traffic, faults: faults)
            hosts.append(expertHost)
            threads.append(Self.start("expert-host-\(host)", finished: finished, failures: failures) { _ = try expertHost.serve() })
        }
        self.network = network
        self.threads = threads
        self.hosts = hosts
        self.finished = finished
        self.failures = failures
        experts = ClusterExperts(config: config, placement: placement, payload: payload, transport: network.coordinator,
                                 weightsFingerprint: source.fingerprint, limits: limits)
        do { try experts.handshake(timeout: handshakeTimeout) } catch {
            stop()
            throw error
        }
    }

    /// The same cluster with a hierarchical exchange: host h behind relay `relayOfHost[h]` (a
    /// thread of its own with a network of its own to its node's hosts), the coordinator
    /// exchanging with the relays only. `traffic` is the coordinator's (one "host" per relay);
    /// `nodeTraffic(r)` where relay r's node ledger goes.
    public init(config: ModelConfig, placement: Placement, relayOfHost: [Int], source: WeightSource, payload: ActivationPayloads,
                handshakeTimeout: Duration = .seconds(30), traffic: RunTraffic? = nil, nodeTraffic: ((Int) -> RunTraffic?)? = nil,
                faults: [InjectedFault] = []) throws {
        let relays = (relayOfHost.max() ?? 0) + 1
        let top = placement.grouped(relayOfHost: relayOfHost, relays: relays)
        let limits = WireLimits(config: config)
        let network = InProcessNetwork(hosts: relays)
        let finished = DispatchGroup()
        let failures = FailureList()
        var threads: [Thread] = []
        var hosts: [ExpertHost] = []
        func start(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
            threads.append(Self.start(name, finished: finished, failures: failures, body))
        }
        for relay in 0..<relays {
            let members = relayOfHost.indices.filter { relayOfHost[$0] == relay }
            let nodePlacement = placement.restricted(to: members)
            let node = InProcessNetwork(hosts: members.count)
            let nodeRun = nodeTraffic?(relay) ?? RunTraffic(config: config, hosts: members.count, payload: payload, transport: .inproc)
            for (local, host) in members.enumerated() {
                let expertHost = try ExpertHost(index: local, config: config, placement: nodePlacement, source: source, transport: node.host(local),
                                                traffic: nodeRun, faults: faults, faultIndex: host)
                hosts.append(expertHost)
                start("expert-host-\(host)") { _ = try expertHost.serve() }
            }
            let nodeRelay = NodeRelay(relay: relay, config: config, placement: top, nodePlacement: nodePlacement, payload: payload,
                                      upward: network.host(relay), downward: node.coordinator, weightsFingerprint: source.fingerprint,
                                      limits: limits, upwardTraffic: traffic, nodeTraffic: nodeRun)
            start("relay-\(relay)") {
                try nodeRelay.handshake(timeout: handshakeTimeout)
                _ = try nodeRelay.serve()
            }
        }
        self.network = network
        self.threads = threads
        self.hosts = hosts
        self.finished = finished
        self.failures = failures
        experts = ClusterExperts(config: config, placement: top, payload: payload, transport: network.coordinator,
                                 weightsFingerprint: source.fingerprint, limits: limits)
        do { try experts.handshake(timeout: handshakeTimeout) } catch {
            stop()
            throw error
        }
    }

    /// A thread named `name` running `body`, its failure listed, `finished` left when it ends.
    private static func start(_ name: String, finished: DispatchGroup, failures: FailureList,
                              _ body: @escaping @Sendable () throws -> Void) -> Thread {
        finished.enter()
        let thread = Thread {
            do { try body() } catch { failures.append("\(name): \(error)") }
            finished.leave()
        }
        thread.name = name
        thread.start()
        return thread
    }

    /// Shuts every host down and waits for their threads (which write their ledgers as they stop).
    public func stop() {
        experts.shutdown()
        _ = finished.wait(timeout: .now() + 10)
    }

    /// Each host's own records (dispatch received, combine sent); complete once `stop` returned.
    public var hostRecords: [TrafficRecord] { hosts.flatMap(\.records) }

    public var hostFailures: [String] { failures.all }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}
