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
    /// The hosts' processes, when this command started them.
    private(set) var processes: ExpertHostProcesses?
    private let stopHosts: () -> Void
    private let disconnect: () -> Void

    private init(experts: ClusterExperts, transportName: String, stopHosts: @escaping () -> Void,
                 disconnect: @escaping () -> Void = {}) {
        self.experts = experts
        self.transportName = transportName
        self.stopHosts = stopHosts
        self.disconnect = disconnect
    }

    /// Starts the cluster's expert hosts on this machine (child processes over ZeroMQ, or threads
    /// in process) and completes the handshake with each.
    static func launch(spec: ClusterSpec, options: ClusterOptions, weights: WeightsOptions,
                       config: ModelConfig, source: WeightSource, trafficDirectory: URL? = nil,
                       faults: [InjectedFault] = []) throws -> CoordinatorCluster {
        let placement = try spec.placement(for: config)
        switch options.transport ?? spec.transport {
        case .inproc:
            if let fault = faults.first(where: { $0.step != nil }) {
                throw ValidationError("--inject \(fault): inproc hosts are threads, which cannot be killed or stopped; use the zmq transport")
            }
            let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: spec.payload,
                                               handshakeTimeout: .seconds(options.handshakeTimeout), faults: faults)
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
            let endpoints = try zmqEndpoints(spec)
            let traffic = trafficDirectory.map { ["--traffic-out", $0.path] } ?? []
            let injected = faults.filter { $0.step == nil }.flatMap { ["--inject", $0.description] }
            // A host that dies is started again (a few times, with backoff) and rejoins.
            let processes = try ExpertHostProcesses(hosts: spec.hosts.count, restarts: options.hostRestarts) { _ in
                options.arguments + weights.arguments + traffic + injected + ["--quiet"]
            }
            do {
                let cluster = try connect(spec: spec, endpoints: endpoints, options: options, config: config, source: source)
                cluster.experts.lostHosts = processes.lostHosts
                cluster.experts.willRestart = processes.willRestart
                try cluster.experts.handshake(timeout: .seconds(options.handshakeTimeout))
                let launched = CoordinatorCluster(experts: cluster.experts, transportName: "zmq") {
                    cluster.stop()
                    processes.stop()
                }
                launched.processes = processes
                return launched
            } catch {
                processes.stop(grace: .zero)
                throw error
            }
        case .mpi:
            throw ValidationError("an MPI cluster is started by mpirun: switchyard run --launcher mpirun --cluster \(spec.file)")
        }
    }

    /// Connects to expert hosts already running (started by hand or a service manager).
    static func connect(spec: ClusterSpec, endpoints: [String], options: ClusterOptions, config: ModelConfig,
                        source: WeightSource) throws -> CoordinatorCluster {
        let limits = options.wireLimits(config)
        let transport = try ZeroMQCoordinatorTransport(endpoints: endpoints, maximumMessageBytes: limits.largestPartBytes)
        let experts = ClusterExperts(config: config, placement: try spec.placement(for: config), payload: spec.payload,
                                     transport: transport, weightsFingerprint: source.fingerprint,
                                     limits: limits, exchangeTimeout: .seconds(options.exchangeTimeout),
                                     settings: options.sessionSettings)
        return CoordinatorCluster(experts: experts, transportName: "zmq", stopHosts: {
            experts.shutdown()
            // Let the shutdown frames leave before the sockets close.
            usleep(100_000)
            transport.close()
        }, disconnect: transport.close)
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
