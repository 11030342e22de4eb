import Logging
import Foundation
import SwitchyardCluster
import SwitchyardRuntime
import SwitchyardTransport

/// `switchyard expert-host`: one host of a ZeroMQ cluster as a process of its own, started by
/// `run`, by hand or by a service manager.
public enum ExpertHostDaemon {
    /// Serves host `host` of the cluster at its endpoint until a shutdown frame, or until the
    /// process `parentPid` (its launcher) is gone; writes its ledger into `trafficOut` if given.
    /// `faults` are link faults (delay, drop) this host makes on what it sends.
    public static func run(settings: ClusterSettings, host: Int, weights: WeightChoice, parentPid: Int32? = nil, trafficOut: String? = nil,
                           faults: [InjectedFault] = []) throws -> ExpertHostServer.Statistics {
        let spec = settings.spec
        let logger = settings.logger
        if let fault = faults.first(where: { $0.step != nil }) {
            throw LaunchInputError("--inject \(fault): an expert host injects only link faults (delay, drop); kill and stop are the launcher's")
        }
        guard spec.hosts.indices.contains(host) else {
            throw LaunchInputError("--host \(host) is not a host of \(spec.file), which has hosts 0...\(spec.hosts.count - 1)")
        }
        guard settings.transport == .zmq, case let .zmq(endpoint) = spec.hosts[host].endpoint else {
            throw LaunchInputError("expert-host serves over ZeroMQ; \(spec.file) host \(host) is \(spec.hosts[host].endpoint) over \(settings.transport.rawValue) (MPI hosts are started by mpirun: switchyard run --launcher mpirun)")
        }
        ExpertHostDaemon.restoreTerminatingSignals()
        let (config, source) = try weights.load()
        // A plaintext warning from each of a run's hosts would only repeat its launcher's: `run` starts its hosts at warning.
        let security = try ClusterLinkSecurity.host(settings, host: host, warn: { logger.info("\($0)") })
        let sendableLog = { @Sendable (line: String) in logger.warning("\(line)") }
        let transport = try ZeroMQHostTransport(endpoint: endpoint, host: host, security: security,
                                                maximumMessageBytes: settings.wireLimits(config).largestPartBytes, log: sendableLog)
        defer { transport.close() }
        // Behind a relay, the host answers as one of its node's hosts, and its ledger joins the node's.
        let view = spec.protocolView(ofHost: host, try spec.placement(for: config))
        let traffic = trafficOut.map { folder in
            view.relay.map { RunTraffic(spec: spec, relay: $0, config: config, transport: .zmq, directory: URL(fileURLWithPath: folder)) }
                ?? RunTraffic(spec: spec, config: config, transport: .zmq, directory: URL(fileURLWithPath: folder))
        }
        let expertHost = try ExpertHost(index: view.index, config: config, placement: view.placement, source: source,
                                        transport: transport, traffic: traffic, faults: faults, faultIndex: host,
                                        limits: settings.wireLimits(config), logger: logger)
        logger.info("expert host \(host): \(expertHost.slice.owned.count) experts × \(config.moeLayerCount) layers, \(Format.bytes(expertHost.slice.residentBytes)) resident, listening at \(transport.boundEndpoint)\(security == nil ? "" : " (CURVE)")")
        let statistics = try expertHost.serve(shouldStop: { parentPid.map { getppid() != $0 } ?? false })
        logger.info("expert host \(host): stopped after \(statistics.dispatches) dispatches, \(statistics.badFrames) bad frames")
        return statistics
    }

    /// A daemon stops on SIGINT, SIGTERM and SIGHUP whatever its parent left blocked or ignored.
    static func restoreTerminatingSignals() {
        var terminating = sigset_t()
        sigemptyset(&terminating)
        for number in [SIGINT, SIGTERM, SIGHUP] {
            sigaddset(&terminating, number)
            signal(number, SIG_DFL)
        }
        pthread_sigmask(SIG_UNBLOCK, &terminating, nil)
    }
}
