import Logging
import Foundation
import SwitchyardCluster
import SwitchyardRuntime
import SwitchyardTransport

/// `switchyard relay`: one node's relay of a ZeroMQ cluster with a hierarchical exchange, as a
/// process of its own, started by `run` or by hand on the node. It connects to its node's hosts,
/// completes their handshake, then serves the coordinator at its endpoint until shut down.
public enum RelayDaemon {
    /// Serves relay `relay` of the cluster until a shutdown frame (which it passes on to its
    /// hosts), or until the process `parentPid` is gone; writes its ledgers under `trafficOut`.
    public static func run(settings: ClusterSettings, relay: Int, weights: WeightChoice, parentPid: Int32? = nil,
                           trafficOut: String? = nil) throws -> ExpertHostServer.Statistics {
        let spec = settings.spec
        let logger = settings.logger
        guard spec.exchange == .hierarchical else {
            throw LaunchInputError("\(spec.file) has a direct exchange: its coordinator talks to the hosts, and no relay is needed (\"exchange\": \"hierarchical\" adds one per node)")
        }
        guard spec.relays.indices.contains(relay) else {
            throw LaunchInputError("--relay \(relay) is not a relay of \(spec.file), which has relays 0...\(spec.relays.count - 1) (one per node)")
        }
        guard settings.transport == .zmq, case let .zmq(endpoint) = spec.relays[relay].endpoint else {
            throw LaunchInputError("relay serves over ZeroMQ; \(spec.file) relay \(relay) is \(spec.relays[relay].endpoint) over \(settings.transport.rawValue)")
        }
        ExpertHostDaemon.restoreTerminatingSignals()
        let (config, source) = try weights.load()
        let placement = try spec.placement(for: config)
        let members = spec.hosts(ofRelay: relay)
        let security = try ClusterLinkSecurity.relay(settings, relay: relay, warn: { logger.info("\($0)") })
        let limits = settings.wireLimits(config)
        let sendableLog = { @Sendable (line: String) in logger.warning("\(line)") }
        let upward = try ZeroMQHostTransport(endpoint: endpoint, host: relay, security: security.upward,
                                             maximumMessageBytes: limits.largestPartBytes, log: sendableLog)
        defer { upward.close() }
        let downward = try ZeroMQCoordinatorTransport(endpoints: try members.map { host throws(LaunchInputError) -> String in
            guard case let .zmq(endpoint) = spec.hosts[host].endpoint else {
                throw LaunchInputError("\(spec.file): hosts[\(host)] has \(spec.hosts[host].endpoint), which ZeroMQ cannot reach")
            }
            return endpoint
        }, security: security.downward, maximumMessageBytes: limits.largestPartBytes)
        // The shutdown frames to the hosts get up to 2 s to leave.
        defer { downward.close(linger: .seconds(2)) }
        let directory = trafficOut.map { URL(fileURLWithPath: $0) }
        let nodeRelay = NodeRelay(relay: relay, config: config, placement: spec.coordinatorPeers(placement).placement,
                                  nodePlacement: placement.restricted(to: members), payload: spec.payload, upward: upward, downward: downward,
                                  weightsFingerprint: source.fingerprint, limits: limits, exchangeTimeout: settings.exchangeTimeout,
                                  settings: settings.sessionSettings,
                                  upwardTraffic: directory.map { RunTraffic(spec: spec, config: config, transport: .zmq, directory: $0) },
                                  nodeTraffic: directory.map { RunTraffic(spec: spec, relay: relay, config: config, transport: .zmq, directory: $0) },
                                  logger: logger)
        try nodeRelay.handshake(timeout: settings.handshakeTimeout)
        logger.info("relay \(relay): node \(spec.relayNodes[relay]), hosts \(members.map(String.init).joined(separator: ", ")), listening at \(upward.boundEndpoint)\(security.upward == nil ? "" : " (CURVE)")")
        let statistics = try nodeRelay.serve(shouldStop: { parentPid.map { getppid() != $0 } ?? false })
        logger.info("relay \(relay): stopped after \(statistics.dispatches) dispatches, \(statistics.badFrames) bad frames")
        return statistics
    }
}
