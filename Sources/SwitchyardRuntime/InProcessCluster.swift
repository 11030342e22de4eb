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
    private let servers: [ExpertHostServer]
    private let finished: DispatchGroup
    private let failures: FailureList

    /// Loads each host's experts from `source` (only the ones it owns) and completes the handshake.
    public init(config: ModelConfig, placement: Placement, source: WeightSource, payload: PayloadType,
                hostSources: ((Int) -> WeightSource)? = nil, handshakeTimeout: Duration = .seconds(30), faults: [InjectedFault] = []) throws {
        let network = InProcessNetwork(hosts: placement.hostCount)
        let limits = WireLimits(config: config)
        let finished = DispatchGroup()
        let failures = FailureList()
        var threads: [Thread] = []
        var servers: [ExpertHostServer] = []
        for host in 0..<placement.hostCount {
            let hostSource = hostSources?(host) ?? source
            let slice = try RoutedExpertWeights(config: config, source: hostSource, owned: placement.experts(of: host))
            let server = ExpertHostServer(index: host, config: config, placement: placement, experts: slice,
                                          weightsFingerprint: hostSource.fingerprint,
                                          transport: FaultyHostTransport.wrapping(network.host(host), host: host, faults: faults), limits: limits)
            server.linkDelay = InjectedFault.linkDelay(of: host, in: faults)
            server.traffic = TrafficRecorder(context: TrafficContext(hosts: placement.hostCount, layers: config.numHiddenLayers,
                                                                     experts: config.nRoutedExperts, hidden: config.hiddenSize,
                                                                     payload: "\(payload)", transport: "inproc", writer: host))
            servers.append(server)
            finished.enter()
            let thread = Thread {
                do { _ = try server.serve() } catch { failures.append("expert host \(host): \(error)") }
                finished.leave()
            }
            thread.name = "expert-host-\(host)"
            thread.start()
            threads.append(thread)
        }
        self.network = network
        self.threads = threads
        self.servers = servers
        self.finished = finished
        self.failures = failures
        experts = ClusterExperts(config: config, placement: placement, payload: payload, transport: network.coordinator,
                                 weightsFingerprint: source.fingerprint, limits: limits)
        do { try experts.handshake(timeout: handshakeTimeout) } catch {
            stop()
            throw error
        }
    }

    /// Shuts every host down and waits for their threads.
    public func stop() {
        experts.shutdown()
        _ = finished.wait(timeout: .now() + 10)
    }

    /// Each host's own records (dispatch received, combine sent); complete once `stop` returned.
    public var hostRecords: [TrafficRecord] { servers.flatMap { $0.traffic?.records ?? [] } }

    public var hostFailures: [String] { failures.all }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}
