import Logging
import Foundation
import SwitchyardCluster
import SwitchyardKernels
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardRuntime
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire

/// The coordinator's view of a cluster for the length of one command: the routed-expert backend,
/// and how to stop what was started for it.
public final class CoordinatorCluster {
    public let experts: ClusterExperts
    public let transport: ClusterTransport
    /// The hosts' processes, when this command started them.
    public private(set) var processes: ExpertHostProcesses?
    private let stopHosts: () -> Void
    private let disconnect: () -> Void
    private let explain: (any Error) -> any Error

    private init(experts: ClusterExperts, transport: ClusterTransport, stopHosts: @escaping () -> Void,
                 disconnect: @escaping () -> Void = {}, explain: @escaping (any Error) -> any Error = { $0 }) {
        self.experts = experts
        self.transport = transport
        self.stopHosts = stopHosts
        self.disconnect = disconnect
        self.explain = explain
    }

    /// Starts the cluster's expert hosts on this machine (threads in process, or child processes
    /// of `hostExecutable` over ZeroMQ) and completes the handshake with each. With `traffic`,
    /// each host writes its ledger into that run's directory when it stops.
    public static func launch(_ settings: ClusterSettings, weights: WeightChoice, config: ModelConfig, source: WeightSource,
                              trafficDirectory: URL? = nil, hostExecutable: String? = nil,
                              faults: [InjectedFault] = []) throws -> CoordinatorCluster {
        let spec = settings.spec
        let placement = try spec.placement(for: config)
        let traffic = RunTraffic(spec: spec, config: config, transport: settings.transport, directory: trafficDirectory)
        switch settings.transport {
        case .inproc:
            if let fault = faults.first(where: { $0.step != nil }) {
                throw LaunchInputError("--inject \(fault): inproc hosts are threads, which cannot be killed or stopped; use the zmq transport")
            }
            let cluster = spec.exchange == .hierarchical
                ? try InProcessCluster(config: config, placement: placement, relayOfHost: spec.relayOfHost, source: source, payload: spec.payload,
                                       handshakeTimeout: settings.handshakeTimeout, traffic: traffic, nodeTraffic: { relay in
                                           RunTraffic(spec: spec, relay: relay, config: config, transport: .inproc, directory: trafficDirectory)
                                       }, faults: faults)
                : try InProcessCluster(config: config, placement: placement, source: source, payload: spec.payload,
                                       handshakeTimeout: settings.handshakeTimeout, traffic: traffic, faults: faults)
            cluster.experts.exchangeTimeout = settings.exchangeTimeout
            cluster.experts.logger = settings.logger
            return CoordinatorCluster(experts: cluster.experts, transport: .inproc, stopHosts: cluster.stop)
        case .zmq:
            // Sockets and ephemeral keys of this run only, in a folder only this user can enter.
            let links = try LocalRunLinks(settings)
            let settings = links.settings
            let endpoints: [String]
            do { endpoints = try settings.zmqEndpoints() } catch {
                links.remove()
                throw error
            }
            let trafficFlags = trafficDirectory.map { ["--traffic-out", $0.path] } ?? []
            // Link faults (delay, drop) are the hosts' own to make.
            let linkFaults = faults.filter { $0.step == nil }.flatMap { ["--inject", $0.description] }
            // The hosts share this machine's cores: each gets its share of them (Parallelism).
            let threadFlags = ["--threads", String(Parallelism.share(among: spec.hosts.count))]
            // A host that dies is started again (a few times, with backoff) and rejoins.
            let processes: ExpertHostProcesses
            do {
                processes = try ExpertHostProcesses(hosts: spec.hosts.count, executable: try hostExecutable ?? ChildProcess.currentExecutable(),
                                                    endpoints: endpoints, restarts: settings.hostRestarts, logger: settings.logger) { _ in
                    settings.hostArguments + links.hostArguments + weights.arguments + trafficFlags + linkFaults + threadFlags
                }
            } catch {
                links.remove()
                throw error
            }
            // With a hierarchical exchange, a relay per node between the coordinator and the hosts.
            var relays: ExpertHostProcesses?
            if spec.exchange == .hierarchical {
                do {
                    relays = try ExpertHostProcesses(hosts: spec.relays.count, executable: try hostExecutable ?? ChildProcess.currentExecutable(),
                                                     command: ["relay"], indexFlag: "--relay", endpoints: try settings.zmqEndpoints(relays: true),
                                                     restarts: settings.hostRestarts, logger: settings.logger) { _ in
                        settings.hostArguments + links.hostArguments + weights.arguments + trafficFlags
                            + ["--handshake-timeout", String(settings.handshakeTimeout.components.seconds)]
                    }
                } catch {
                    processes.stop(grace: .zero)
                    links.remove()
                    throw error
                }
            }
            do {
                let cluster = try connect(settings, config: config, source: source)
                // The coordinator's peers are the relays when there are relays: their processes are the ones it watches.
                cluster.experts.lostHosts = (relays ?? processes).lostHosts
                cluster.experts.willRestart = (relays ?? processes).willRestart
                try cluster.handshake(timeout: settings.handshakeTimeout)
                let launched = CoordinatorCluster(experts: cluster.experts, transport: .zmq) {
                    cluster.stop()
                    relays?.stop()
                    processes.stop()
                    links.remove()
                }
                launched.processes = processes
                return launched
            } catch {
                relays?.stop(grace: .zero)
                processes.stop(grace: .zero)
                links.remove()
                throw error
            }
        case .mpi:
            throw LaunchInputError("an MPI cluster is started by mpirun: switchyard run --launcher mpirun --cluster \(spec.file)")
        }
    }

    /// Connects to expert hosts already running (started by hand or a service manager); the
    /// handshake is the caller's, so that hosts which refuse can be left alone.
    public static func connect(_ settings: ClusterSettings, config: ModelConfig, source: WeightSource) throws -> CoordinatorCluster {
        let spec = settings.spec
        let hierarchical = spec.exchange == .hierarchical
        let transport = try ZeroMQCoordinatorTransport(endpoints: try settings.zmqEndpoints(relays: hierarchical),
                                                       security: try ClusterLinkSecurity.coordinator(settings),
                                                       maximumMessageBytes: settings.wireLimits(config).largestPartBytes)
        // With relays, the coordinator plans over nodes: one peer per relay, holding its node's experts.
        let placement = spec.coordinatorPeers(try spec.placement(for: config)).placement
        let experts = ClusterExperts(config: config, placement: placement, payload: settings.spec.payload,
                                     transport: transport, weightsFingerprint: source.fingerprint,
                                     limits: settings.wireLimits(config), exchangeTimeout: settings.exchangeTimeout,
                                     settings: settings.sessionSettings)
        experts.logger = settings.logger
        return CoordinatorCluster(experts: experts, transport: .zmq, stopHosts: {
            experts.shutdown()
            // The shutdown frames get up to 2 s to leave (a loaded machine may need more than a
            // moment); frames for a host that is gone are dropped then.
            transport.close(linger: .seconds(2))
        }, disconnect: transport.close, explain: { ZeroMQHandshakeFailure.explain($0, transport: transport) })
    }

    /// The handshake, with a late host's failure explained from its link's events (nothing
    /// listening, or a CURVE handshake that never completed).
    public func handshake(timeout: Duration) throws {
        do { try experts.handshake(timeout: timeout) } catch { throw explain(error) }
    }

    /// Stops the hosts (a shutdown frame each, then what was started is reaped).
    public func stop() { stopHosts() }

    /// Leaves hosts started by someone else running: closes this side's links only.
    public func disconnectOnly() { disconnect() }
}
