import Logging
import SwitchyardCore
import SwitchyardModelConfig
import SwitchyardProtocol
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire

/// A node's relay in a hierarchical exchange: towards the coordinator it is one expert host
/// holding every expert of its node (an `ExpertHostServer` speaking `HostProtocol`); towards the
/// node's hosts it is their coordinator (a `ClusterExperts` of its own). Each dispatch it gets,
/// one copy of a token for all its node's experts, becomes one exchange with those hosts, and
/// their partial sums, added in host order, go back as one combine.
public final class NodeRelay: @unchecked Sendable {
    public let relay: Int
    /// Upwards: the coordinator's peer.
    public let server: ExpertHostServer
    /// Downwards: the coordinator of the node's hosts.
    public let experts: ClusterExperts
    /// Where the node's ledger (relay-K/traffic.jsonl) goes when the relay stops.
    let nodeTraffic: RunTraffic?
    /// Where the relay's own upward records (traffic-host-K.jsonl beside the coordinator's) go.
    let upwardTraffic: RunTraffic?

    /// `placement` is the coordinator's (one host per relay), `nodePlacement` the node's hosts'
    /// (`Placement.restricted(to:)`); `upward` reaches the coordinator, `downward` the node's hosts.
    public init(relay: Int, config: ModelConfig, placement: Placement, nodePlacement: Placement, payload: ActivationPayloads,
                upward: HostTransport, downward: CoordinatorTransport, weightsFingerprint: String, limits: WireLimits,
                exchangeTimeout: Duration = .seconds(60), settings: CoordinatorSession.Settings = CoordinatorSession.Settings(),
                upwardTraffic: RunTraffic? = nil, nodeTraffic: RunTraffic? = nil, clock: ProtocolClock = SystemProtocolClock(),
                logger: Logger = .silent) {
        self.relay = relay
        let experts = ClusterExperts(config: config, placement: nodePlacement, payload: payload, transport: downward,
                                     weightsFingerprint: weightsFingerprint, limits: limits, exchangeTimeout: exchangeTimeout,
                                     settings: settings, clock: clock)
        experts.logger = logger
        if let nodeTraffic {
            experts.traffic = nodeTraffic.recorder(writer: nil)
            // Its records carry no workload step, as a host's do: the coordinator's ledger has them.
            experts.traffic.step = -1
        }
        self.experts = experts
        self.nodeTraffic = nodeTraffic
        self.upwardTraffic = upwardTraffic
        var isLocal = [Bool](repeating: false, count: placement.expertCount)
        for expert in placement.experts(of: relay) { isLocal[expert] = true }
        let hidden = config.hiddenSize
        let hello = Hello(config: config, placement: placement, host: relay, weightsFingerprint: weightsFingerprint)
        server = ExpertHostServer(index: relay, hello: hello, transport: upward, limits: limits, clock: clock, logger: logger) { frame in
            guard case let .dispatch(dispatch) = frame.body else { throw HostComputationError.notDispatch(kind: frame.kind) }
            guard frame.host == relay else { throw HostComputationError.wrongHost(addressed: frame.host, host: relay) }
            let routes = dispatch.routes
            var pairs: [DispatchPlan.Pair] = []
            pairs.reserveCapacity(routes.pairCount)
            var widest = 0
            for row in 0..<routes.count {
                let range = routes.pairs(ofRow: row)
                widest = max(widest, range.count)
                for pair in range {
                    let expert = Int(routes.experts[pair])
                    // Checked here: a plan that asked the node's session for an expert it lacks would fail that session.
                    guard isLocal.indices.contains(expert), isLocal[expert] else { throw HostComputationError.expertNotLocal(expert: expert, host: relay) }
                    guard routes.weights[pair].isFinite else { throw NodeRelayError.weightNotFinite(row: row, expert: expert) }
                    pairs.append(DispatchPlan.Pair(token: row, expert: expert, weight: routes.weights[pair]))
                }
            }
            let sums = try experts.routedExperts(layer: frame.address.layer, input: dispatch.activations.floats, rows: routes.count,
                                                 pairs: pairs, topK: max(1, widest))
            let rows = ActivationRows(rows: routes.count, width: hidden, floats: sums, as: dispatch.combineType)
            return WireFrame(address: frame.address, host: relay, body: .combine(Combine(tokens: routes.tokens, partialSums: rows)))
        }
        server.traffic = upwardTraffic?.recorder(writer: relay)
        server.idle = { try experts.serviceLinks() }
    }

    /// Completes the handshake with the node's hosts (before the coordinator is answered).
    public func handshake(timeout: Duration) throws { try experts.handshake(timeout: timeout) }

    /// Serves the coordinator until its shutdown or `shouldStop`, then shuts the node's hosts down
    /// and writes both ledgers, if the run has a directory.
    public func serve(poll: Duration = .milliseconds(50), shouldStop: () -> Bool = { false }) throws -> ExpertHostServer.Statistics {
        let statistics: ExpertHostServer.Statistics
        do { statistics = try server.serve(poll: poll, shouldStop: shouldStop) } catch {
            experts.shutdown()
            throw error
        }
        experts.shutdown()
        try writeLedgers()
        return statistics
    }

    func writeLedgers() throws {
        if let nodeTraffic { try nodeTraffic.write(experts.traffic.ledger) }
        if let upwardTraffic, let recorder = server.traffic { try upwardTraffic.write(recorder.ledger) }
    }
}

public enum NodeRelayError: Error, Equatable, Sendable, CustomStringConvertible {
    case weightNotFinite(row: Int, expert: Int)

    public var description: String {
        switch self {
        case let .weightNotFinite(row, expert): "row \(row)'s gate weight for expert \(expert) is not finite"
        }
    }
}
