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
            finished.enter()
            let thread = Thread {
                do { _ = try expertHost.serve() } catch { failures.append("expert host \(host): \(error)") }
                finished.leave()
            }
            thread.name = "expert-host-\(host)"
            thread.start()
            threads.append(thread)
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
