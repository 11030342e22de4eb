import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire
import SwitchyardModelConfig

/// The coordinator's view of a cluster for the length of one command: the routed-expert backend,
/// and how to stop what was started for it.
final class CoordinatorCluster {
    let experts: ClusterExperts
    let transportName: String
    private let stopHosts: () -> Void
    private let disconnect: () -> Void
    private let explain: (any Error) -> any Error

    private init(experts: ClusterExperts, transportName: String, stopHosts: @escaping () -> Void,
                 disconnect: @escaping () -> Void = {}, explain: @escaping (any Error) -> any Error = { $0 }) {
        self.experts = experts
        self.transportName = transportName
        self.stopHosts = stopHosts
        self.disconnect = disconnect
        self.explain = explain
    }

    /// Starts the cluster's expert hosts on this machine (child processes over ZeroMQ, or threads
    /// in process) and completes the handshake with each.
    static func launch(spec: ClusterSpec, options: ClusterOptions, weights: WeightsOptions,
                       config: ModelConfig, source: WeightSource, trafficDirectory: URL? = nil) throws -> CoordinatorCluster {
        let placement = try spec.placement(for: config)
        switch options.transport ?? spec.transport {
        case .inproc:
            let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: spec.payload,
                                               handshakeTimeout: .seconds(options.handshakeTimeout))
            cluster.experts.exchangeTimeout = .seconds(options.exchangeTimeout)
            return CoordinatorCluster(experts: cluster.experts, transportName: "inproc") {
                cluster.stop()
                guard let trafficDirectory else { return }
                let context = ClusterWorkload.trafficContext(spec: spec, config: config, transport: "inproc", payload: spec.payload.rawValue)
                let records = cluster.hostRecords
                for host in 0..<spec.hosts.count {
                    var hostContext = context
                    hostContext.writer = host
                    let ledger = TrafficLedger(context: hostContext, records: records.filter { $0.host == host },
                                               expertTokens: Array(repeating: Array(repeating: 0, count: config.nRoutedExperts), count: config.numHiddenLayers),
                                               bytesSavedByDeduplication: Array(repeating: 0, count: config.numHiddenLayers), steps: [])
                    try? TrafficRun.write(ledger, host: host, into: trafficDirectory)
                }
            }
        case .zmq:
            // Sockets and ephemeral keys of this run only, in a folder only this user can enter.
            let folder = try LocalRunLinks(spec: spec)
            let spec = folder.spec
            let endpoints = try zmqEndpoints(spec)
            let traffic = trafficDirectory.map { ["--traffic-out", $0.path] } ?? []
            let processes: ExpertHostProcesses
            do {
                processes = try ExpertHostProcesses(hosts: spec.hosts.count) { _ in
                    options.arguments + folder.hostArguments + weights.arguments + traffic + ["--quiet"]
                }
            } catch {
                folder.remove()
                throw error
            }
            do {
                let security = try ClusterLinkSecurity.coordinator(spec, keys: folder.keys, secretKey: options.secretKey, warn: LocalRunLinks.warn)
                let cluster = try connect(spec: spec, endpoints: endpoints, options: options, config: config, source: source, security: security)
                cluster.experts.lostHosts = processes.lostHosts
                try cluster.handshake(timeout: .seconds(options.handshakeTimeout))
                return CoordinatorCluster(experts: cluster.experts, transportName: "zmq") {
                    cluster.stop()
                    processes.stop()
                    folder.remove()
                }
            } catch {
                processes.stop(grace: .zero)
                folder.remove()
                throw error
            }
        case .mpi:
            throw ValidationError("an MPI cluster is started by mpirun: switchyard run --launcher mpirun --cluster \(spec.file)")
        }
    }

    /// Connects to expert hosts already running (started by hand or a service manager).
    static func connect(spec: ClusterSpec, endpoints: [String], options: ClusterOptions, config: ModelConfig,
                        source: WeightSource, security: ZeroMQSecurity?) throws -> CoordinatorCluster {
        let transport = try ZeroMQCoordinatorTransport(endpoints: endpoints, security: security)
        let experts = ClusterExperts(config: config, placement: try spec.placement(for: config), payload: spec.payload,
                                     transport: transport, weightsFingerprint: source.fingerprint,
                                     limits: WireLimits(config: config), exchangeTimeout: .seconds(options.exchangeTimeout))
        return CoordinatorCluster(experts: experts, transportName: "zmq", stopHosts: {
            experts.shutdown()
            // Let the shutdown frames leave before the sockets close.
            usleep(100_000)
            transport.close()
        }, disconnect: transport.close, explain: { error in ZeroMQHandshakeFailure.explain(error, transport: transport) })
    }

    /// The handshake, with a late host's failure explained from its link's events.
    func handshake(timeout: Duration) throws {
        do { try experts.handshake(timeout: timeout) } catch { throw explain(error) }
    }

    static func zmqEndpoints(_ spec: ClusterSpec) throws -> [String] {
        try spec.hosts.enumerated().map { index, host in
            guard case let .zmq(endpoint) = host.endpoint else {
                throw ValidationError("\(spec.file): hosts[\(index)] has \(host.endpoint), which ZeroMQ cannot reach; give it an endpoint or use --transport mpi")
            }
            return endpoint
        }
    }

    func stop() { stopHosts() }

    /// Leaves hosts started by someone else running: closes this side's links only.
    func disconnectOnly() { disconnect() }
}
