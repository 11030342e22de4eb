import Logging
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// Bytes and messages of the expert exchange, per layer, read from the coordinator's ledger.
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

/// The coordinator's driver and routed-expert backend: it runs a `CoordinatorSession` over a
/// transport and a clock, performing its directives. Per layer it plans the dispatch, hands the
/// session the batch, and waits (up to the session's deadlines) for the sum it delivers.
public final class ClusterExperts: OverlappingExpertBackend {
    let config: ModelConfig
    let placement: Placement
    let payload: ActivationPayloads
    let transport: CoordinatorTransport
    let clock: ProtocolClock
    public private(set) var session: CoordinatorSession
    private var tokensPerLayer: [Int]
    private var exchanges = 0
    /// Every dispatch sent and combine received, with the coordinator's times. Replace it with one
    /// whose context names the transport and the cluster's nodes.
    public var traffic: TrafficRecorder
    /// Each host's node, as the ledger's context places it.
    private var nodeOfHost: [Int] { traffic.context.hostDevices.map(\.node) }
    /// Hosts known to be gone and why (a child process that exited): asked between waits, so a
    /// dead host fails what waits on it at once instead of at the deadline.
    public var lostHosts: (() -> [(host: Int, reason: String)])?
    /// Whether a lost host's process will be started again (a supervising launcher); when not,
    /// a host lost before the handshake completes fails it at once rather than at its deadline.
    public var willRestart: ((Int) -> Bool)?
    /// Where the session's log lines go.
    public var logger: Logger = .silent
    /// The longest one wait on the transport lasts, so lost hosts are noticed in time.
    var pollInterval: Duration = .milliseconds(100)
    /// Every host lost, failed over or rejoined, in order, with the session's times.
    public private(set) var events: [HostEvent] = []
    /// Sums delivered for exchanges begun and not yet finished (ping-pong keeps two in flight).
    private var delivered: [FrameAddress: [Float]] = [:]
    private var inFlight: [UInt64: FrameAddress] = [:]

    public init(config: ModelConfig, placement: Placement, payload: ActivationPayloads, transport: CoordinatorTransport,
                weightsFingerprint: String, limits: WireLimits, exchangeTimeout: Duration = .seconds(60),
                settings: CoordinatorSession.Settings = CoordinatorSession.Settings(), clock: ProtocolClock = SystemProtocolClock()) {
        precondition(transport.hostCount == placement.hostCount, "the transport reaches \(transport.hostCount) hosts, the placement has \(placement.hostCount)")
        self.config = config
        self.placement = placement
        self.payload = payload
        self.transport = transport
        self.clock = clock
        var settings = settings
        settings.exchangeTimeout = exchangeTimeout
        if settings.session == 0 { settings.session = UInt64.random(in: 1...UInt64.max) }
        session = CoordinatorSession(
            expected: (0..<placement.hostCount).map { Hello(config: config, placement: placement, host: $0, weightsFingerprint: weightsFingerprint) },
            placement: placement, hidden: config.hiddenSize, limits: limits, settings: settings)
        tokensPerLayer = Array(repeating: 0, count: config.numHiddenLayers)
        traffic = TrafficRecorder(context: TrafficContext(hosts: placement.hostCount, layers: config.numHiddenLayers, experts: config.nRoutedExperts,
                                                          hidden: config.hiddenSize, payload: payload, transport: .unknown))
    }

    /// How long one layer's exchange may take before the cluster is declared failed.
    public var exchangeTimeout: Duration {
        get { session.settings.exchangeTimeout }
        set { session.settings.exchangeTimeout = newValue }
    }

    public var hosts: [HostInfo] { session.hosts }

    /// Sends every host what it must hold and waits, up to `timeout`, for each to confirm.
    /// Hellos are resent each second, so hosts still starting are reached when they come up.
    @discardableResult
    public func handshake(timeout: Duration) throws -> [HostInfo] {
        var complete: [HostInfo]?
        try perform(session.startHandshake(timeout: timeout, at: clock.now())) { if case let .handshakeComplete(hosts) = $0 { complete = hosts } }
        try wait(until: { complete != nil }) { if case let .handshakeComplete(hosts) = $0 { complete = hosts } }
        return complete!
    }

    public func routedExperts(layer: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> [Float] {
        try finishRoutedExperts(try beginRoutedExperts(layer: layer, microBatch: 0, input: input, tokens: tokens, routing: routing))
    }

    /// Sends the layer's dispatches and returns at once; `finishRoutedExperts` waits for the sum.
    public func beginRoutedExperts(layer: Int, microBatch: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> ExpertTicket {
        try begin(layer: layer, tokens: tokens) { session, now in
            session.beginExchange(routing: routing, layer: layer, microBatch: microBatch, activations: input, payload: payload, at: now)
        }
    }

    /// One exchange of checked (row, expert, weight) pairs, rows ascending: a node relay handing
    /// on the rows it was sent, each with only its node's experts (at most `topK` a row).
    public func routedExperts(layer: Int, input: [Float], rows: Int, pairs: [DispatchPlan.Pair], topK: Int) throws -> [Float] {
        try finishRoutedExperts(try begin(layer: layer, tokens: rows) { session, now in
            session.beginExchange(pairs: pairs, tokenCount: rows, topK: topK, layer: layer, activations: input, payload: payload, at: now)
        })
    }

    private func begin(layer: Int, tokens: Int,
                       _ start: (inout CoordinatorSession, ProtocolTime) -> (FrameAddress, DispatchPlan?, [CoordinatorSession.Directive])) throws -> ExpertTicket {
        tokensPerLayer[layer] += tokens
        exchanges += 1
        session.workloadStep = traffic.step
        let (address, plan, directives) = start(&session, clock.now())
        if let plan {
            traffic.noteRouting(layer: layer, tokensPerExpert: plan.tokensPerExpert,
                                bytesSavedByDeduplication: plan.traffic(payload: payload, hidden: config.hiddenSize).bytesSavedByDeduplication)
            traffic.noteNodesPerToken(layer: layer, counts: plan.nodesPerToken(nodeOfHost: nodeOfHost))
        }
        inFlight[address.step] = address
        try perform(directives, onDirective: keep)
        return ExpertTicket(id: address.step)
    }

    public func finishRoutedExperts(_ ticket: ExpertTicket) throws -> [Float] {
        guard let address = inFlight.removeValue(forKey: ticket.id) else {
            throw ClusterFailure(.other("no exchange \(ticket.id) is in flight"))
        }
        try wait(until: { delivered[address] != nil }, onDirective: keep)
        return delivered.removeValue(forKey: address)!
    }

    private func keep(_ directive: CoordinatorSession.Directive) {
        if case let .deliver(address, values) = directive { delivered[address] = values }
    }

    /// Feeds the session messages, ticks and lost hosts until `done`; throws the first failure.
    func wait(until done: () -> Bool, onDirective: (CoordinatorSession.Directive) -> Void) throws {
        while !done() {
            if let lost = lostHosts?() {
                for (host, reason) in lost {
                    if !session.isReady, !(willRestart?(host) ?? false) { throw ClusterFailure(.hostLost(host: host, reason: reason)) }
                    try perform(session.hostLost(host, reason: reason, at: clock.now()), onDirective: onDirective)
                }
                if done() { return }
            }
            let now = clock.now()
            let timeout = min(pollInterval, max(.zero, (session.nextWake ?? now + pollInterval) - now))
            if let message = try transport.receive(timeout: timeout) {
                try perform(session.receive(message, at: clock.now()), onDirective: onDirective)
            }
            try perform(session.tick(at: clock.now()), onDirective: onDirective)
        }
    }

    func perform(_ directives: [CoordinatorSession.Directive], onDirective: (CoordinatorSession.Directive) -> Void) throws {
        for directive in directives {
            switch directive {
            case let .send(frame, host): try transport.send(frame, to: host)
            case let .record(record): traffic.record(record)
            case let .log(level, line): logger.log(level: level, "\(line)")
            case let .fail(failure): throw failure
            case let .hostEvent(event): events.append(event)
            case .handshakeComplete, .deliver: onDirective(directive)
            }
        }
    }

    /// Per layer, from the ledger's records: the transports count the same bytes independently.
    public var totals: ExchangeTotals {
        var totals = ExchangeTotals(layers: config.numHiddenLayers)
        for record in traffic.records where (0..<config.numHiddenLayers).contains(Int(record.layer)) {
            let layer = Int(record.layer)
            switch record.kind {
            case .dispatch:
                totals.dispatchBytes[layer] += Int(record.wireBytes)
                totals.dispatchMessages[layer] += 1
            case .combine:
                totals.combineBytes[layer] += Int(record.wireBytes)
            }
        }
        totals.tokens = tokensPerLayer
        totals.exchanges = exchanges
        return totals
    }

    /// What the transport itself counted (handshake and shutdown frames included).
    public var transportCounters: TransportCounters { transport.counters }

    /// Tells every host to stop.
    public func shutdown() {
        try? perform(session.shutdown(at: clock.now())) { _ in }
    }

    /// Without waiting: answers what has arrived and sends the heartbeats that are due. A node
    /// relay calls it while it waits for its coordinator, so its hosts keep hearing from it.
    public func serviceLinks() throws {
        while let message = try transport.receive(timeout: .zero) {
            try perform(session.receive(message, at: clock.now())) { _ in }
        }
        try perform(session.tick(at: clock.now())) { _ in }
    }

    /// Between steps: answers what arrived, sends heartbeats that are due, and notices lost hosts,
    /// without waiting longer than `timeout`. A coordinator with nothing to do calls this so its
    /// hosts keep hearing from it.
    public func keepAlive(timeout: Duration = .zero) throws {
        let until = clock.now() + timeout
        try wait(until: { clock.now() >= until }) { _ in }
    }
}
