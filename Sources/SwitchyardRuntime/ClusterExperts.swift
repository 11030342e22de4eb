import Foundation
import SwitchyardModel
import SwitchyardTraffic
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// What the coordinator learned of a host in the handshake.
public struct HostInfo: Sendable, Equatable {
    public var host: Int
    public var experts: [Int]
    public var residentBytes: UInt64
}

/// Bytes and messages of the expert exchange, per layer.
public struct ExchangeTotals: Sendable, Equatable {
    public var dispatchBytes: [Int]
    public var combineBytes: [Int]
    public var dispatchMessages: [Int]
    public var tokens: [Int]
    public var exchanges = 0

    init(layers: Int) {
        dispatchBytes = Array(repeating: 0, count: layers)
        combineBytes = Array(repeating: 0, count: layers)
        dispatchMessages = Array(repeating: 0, count: layers)
        tokens = Array(repeating: 0, count: layers)
    }
}

/// A failure of the cluster: a host that refused, answered wrongly, or did not answer in time.
public struct ClusterFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The coordinator's routed-expert backend: per layer it plans the dispatch, sends each host its
/// tokens once with their local (expert, weight) pairs, and adds the hosts' partial sums in host
/// order, whatever order they arrive in.
public final class ClusterExperts: RoutedExpertBackend {
    let config: ModelConfig
    let placement: Placement
    let payload: PayloadType
    let transport: CoordinatorTransport
    let decoder: WireDecoder
    let weightsFingerprint: String
    /// How long one layer's exchange may take before the cluster is declared failed.
    public var exchangeTimeout: Duration
    public private(set) var totals: ExchangeTotals
    public private(set) var hosts: [HostInfo] = []
    /// Every dispatch sent and combine received, with the coordinator's times. Replace it with one
    /// whose context names the transport and the cluster's nodes.
    public var traffic: TrafficRecorder
    /// Called between waits; throws when a host is known to be gone (a child process that exited),
    /// so a dead host fails the run at once instead of at the deadline.
    public var liveness: (() throws -> Void)?
    private var step: UInt64 = 0

    public init(config: ModelConfig, placement: Placement, payload: PayloadType, transport: CoordinatorTransport,
                weightsFingerprint: String, limits: WireLimits, exchangeTimeout: Duration = .seconds(60)) {
        precondition(transport.hostCount == placement.hostCount, "the transport reaches \(transport.hostCount) hosts, the placement has \(placement.hostCount)")
        self.config = config
        self.placement = placement
        self.payload = payload
        self.transport = transport
        decoder = WireDecoder(limits: limits)
        self.weightsFingerprint = weightsFingerprint
        self.exchangeTimeout = exchangeTimeout
        totals = ExchangeTotals(layers: config.numHiddenLayers)
        traffic = TrafficRecorder(context: TrafficContext(hosts: placement.hostCount, layers: config.numHiddenLayers, experts: config.nRoutedExperts,
                                                          hidden: config.hiddenSize, payload: "\(payload)", transport: "unknown"))
    }

    /// Sends every host what it must hold and waits, up to `timeout`, for each to confirm.
    /// Hellos are resent each second, so hosts still starting are reached when they come up.
    @discardableResult
    public func handshake(timeout: Duration) throws -> [HostInfo] {
        let deadline = ContinuousClock.now + timeout
        var confirmed: [Int: HostInfo] = [:]
        var lastSent = ContinuousClock.now - .seconds(10)
        while confirmed.count < placement.hostCount {
            let now = ContinuousClock.now
            if now >= deadline {
                let missing = (0..<placement.hostCount).filter { confirmed[$0] == nil }
                throw ClusterFailure("no handshake within \(timeout) from expert host(s) \(missing.map(String.init).joined(separator: ", "))")
            }
            if now - lastSent >= .seconds(1) {
                for host in 0..<placement.hostCount where confirmed[host] == nil {
                    try transport.send(WireFrame(host: host, body: .hello(expectedHello(host))).encoded(), to: host)
                }
                lastSent = now
            }
            try liveness?()
            guard let message = try transport.receive(until: min(deadline, now + .milliseconds(200))) else { continue }
            let frame = try decode(message)
            switch frame.body {
            case let .hello(answer):
                if let mismatch = expectedHello(message.host).mismatch(with: answer) {
                    throw ClusterFailure("expert host \(message.host) holds something else: \(mismatch)")
                }
                if confirmed[message.host] == nil {
                    confirmed[message.host] = HostInfo(host: message.host, experts: answer.experts, residentBytes: answer.residentBytes)
                    try transport.send(WireFrame(host: message.host, body: .helloAck).encoded(), to: message.host)
                }
            case let .error(failure):
                throw ClusterFailure("expert host \(message.host) refused the handshake: \(failure.message)")
            default:
                continue
            }
        }
        hosts = (0..<placement.hostCount).map { confirmed[$0]! }
        return hosts
    }

    func expectedHello(_ host: Int) -> Hello {
        Hello(config: config, placement: placement, host: host, weightsFingerprint: weightsFingerprint)
    }

    func decode(_ message: ReceivedMessage) throws -> WireFrame {
        do { return try message.decode(with: decoder) } catch {
            throw ClusterFailure("expert host \(message.host) sent a bad frame: \(error)")
        }
    }

    public func routedExperts(layer: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> [Float] {
        step += 1
        let address = FrameAddress(step: step, layer: layer, microBatch: 0)
        let plan = try DispatchPlan(routing: routing, placement: placement)
        traffic.noteRouting(layer: layer, tokensPerExpert: plan.tokensPerExpert,
                            bytesSavedByDeduplication: plan.traffic(payload: payload, hidden: config.hiddenSize).bytesSavedByDeduplication)
        for frame in plan.dispatchFrames(address: address, activations: input, hidden: config.hiddenSize, payload: payload) {
            let encoded = frame.encoded()
            let sent = TrafficClock.now()
            try transport.send(encoded, to: frame.host)
            let hostPlan = plan.hosts[frame.host]
            traffic.record(TrafficRecord(kind: .dispatch, step: traffic.step, exchange: step, layer: Int32(layer), host: Int32(frame.host),
                                         tokens: Int32(hostPlan.tokenCount), slots: Int32(hostPlan.pairCount),
                                         payloadBytes: Int64(encoded.payloadByteCount), wireBytes: Int64(encoded.byteCount), sendNanos: sent))
            totals.dispatchBytes[layer] += encoded.byteCount
            totals.dispatchMessages[layer] += 1
        }
        totals.tokens[layer] += tokens
        totals.exchanges += 1
        var combine = CombineAccumulator(plan: plan, hidden: config.hiddenSize, address: address)
        let deadline = ContinuousClock.now + exchangeTimeout
        while !combine.isComplete {
            try liveness?()
            guard let message = try transport.receive(until: min(deadline, ContinuousClock.now + .milliseconds(250))) else {
                if ContinuousClock.now < deadline { continue }
                throw ClusterFailure("layer \(layer): no combine within \(exchangeTimeout) from expert host(s) \(combine.missingHosts.map(String.init).joined(separator: ", "))")
            }
            let received = TrafficClock.now()
            let frame = try decode(message)
            if frame.kind == .heartbeat || frame.kind == .hello { continue }
            totals.combineBytes[layer] += message.byteCount
            if case let .combine(answer) = frame.body, plan.hosts.indices.contains(message.host) {
                traffic.record(TrafficRecord(kind: .combine, step: traffic.step, exchange: frame.address.step, layer: Int32(frame.address.layer),
                                             microBatch: Int32(frame.address.microBatch), host: Int32(message.host), tokens: Int32(answer.tokens.count),
                                             slots: Int32(plan.hosts[message.host].pairCount), payloadBytes: Int64(answer.partialSums.byteCount),
                                             wireBytes: Int64(message.byteCount), receiveNanos: received))
            }
            do { try combine.receive(frame) } catch {
                throw ClusterFailure("layer \(layer): \(error)")
            }
        }
        do { return try combine.output() } catch { throw ClusterFailure("layer \(layer): \(error)") }
    }

    /// What the transport itself counted (handshake and shutdown frames included).
    public var transportCounters: TransportCounters { transport.counters }

    /// Tells every host to stop.
    public func shutdown() {
        for host in 0..<placement.hostCount {
            try? transport.send(WireFrame(host: host, body: .shutdown).encoded(), to: host)
        }
    }
}
