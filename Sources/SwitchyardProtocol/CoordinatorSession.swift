import Logging
import SwitchyardCore
import SwitchyardTraffic
import SwitchyardWire

/// What the coordinator learned of a host in the handshake.
public struct HostInfo: Sendable, Equatable {
    public var host: Int
    public var experts: [Int]
    public var residentBytes: UInt64
    /// The host process's incarnation: another one means the host was restarted.
    public var incarnation: UInt64

    public init(host: Int, experts: [Int], residentBytes: UInt64, incarnation: UInt64 = 0) {
        self.host = host
        self.experts = experts
        self.residentBytes = residentBytes
        self.incarnation = incarnation
    }
}

/// A change in a host's standing, as the coordinator saw it: recorded in the run's summary.
public struct HostEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Declared gone: its process ended, its link dropped, or it answered nothing for the death window.
        case lost(reason: String)
        /// Answered a hello again (a restarted process: a new incarnation) and is used again.
        case rejoined(incarnation: UInt64)
        /// Pairs it had not answered were sent to other replicas.
        case failedOver(layer: Int, pairs: Int, bytes: Int)
    }

    public var host: Int
    public var kind: Kind
    public var at: ProtocolTime
}

/// The coordinator's side of the protocol as a value, in the manner of SWIM's `Instance`: events
/// go in (start the handshake, begin an exchange, a message from host h, time passed, host h is
/// gone) and directives come out (send, record, handshake complete, deliver a layer's sum, fail).
/// No sockets, clocks or threads: a driver performs the directives, the embedded harness tests it
/// in virtual time. A frame is attributed to the host its link names, never to its header; frames
/// that belong to nothing open (late, duplicate, stray) are counted and dropped, never fatal.
///
/// Liveness: once the handshake is done, each host gets a heartbeat when nothing else went to it
/// for `heartbeatInterval`; a host that has answered nothing for `deathWindow` since something
/// was sent to it is declared lost. A lost host's unanswered pairs go again, in the same
/// exchange, to other hosts holding those experts; pairs with no live holder wait up to
/// `rejoinWait` for a restarted host, which hellos (resent to lost hosts) bring back.
public struct CoordinatorSession {
    public struct Settings: Sendable {
        /// How often hellos go again to hosts that have not answered (still starting, or lost).
        public var helloResend: Duration = .seconds(1)
        /// How long one layer's exchange may take before it fails.
        public var exchangeTimeout: Duration = .seconds(60)
        /// Idle time after which a host gets a heartbeat; nil sends none.
        public var heartbeatInterval: Duration? = .milliseconds(200)
        /// How long a host may answer nothing that was sent to it before it is declared lost.
        public var deathWindow: Duration = .milliseconds(800)
        /// How long pairs whose every holder is lost wait for one to come back.
        public var rejoinWait: Duration = .seconds(10)
        /// This run's identity, repeated by the hosts.
        public var session: UInt64 = 0
        public init() {}
    }

    public struct Statistics: Sendable, Equatable {
        /// Frames for no open exchange: late answers, or hellos after the handshake.
        public var strayFrames = 0
        /// A second answer from a host that had answered.
        public var duplicateFrames = 0
        /// Frames whose header names another host than the link they came over.
        public var misattributedFrames = 0
        public var badFrames = 0
        public var heartbeats = 0
        /// Dispatches sent again to other replicas after a host was lost, and their bytes.
        public var resentDispatches = 0
        public var resentBytes = 0
        /// Frames outside the ledger (handshake, heartbeats, shutdown, errors, and every dropped
        /// frame), each way: with the ledger's dispatches and combines, all the transport moved.
        public var controlFramesSent = 0
        public var controlBytesSent = 0
        public var controlFramesReceived = 0
        public var controlBytesReceived = 0
    }

    public enum Directive: Sendable {
        case send(EncodedFrame, to: Int)
        case record(TrafficRecord)
        case handshakeComplete([HostInfo])
        /// The routed experts' sum for the exchange at this address, `tokens × hidden`.
        case deliver(FrameAddress, [Float])
        case fail(ClusterFailure)
        case hostEvent(HostEvent)
        /// A line for the coordinator's log, at its level (a lost host `warning`, a late combine `debug`).
        case log(Logger.Level, String)
    }

    enum Handshake {
        case notStarted
        case running(deadline: ProtocolTime, timeout: Duration, confirmed: [Int: HostInfo], busy: Set<Int>)
        case complete
    }

    /// What the coordinator knows of one host's link.
    struct Link {
        var info: HostInfo?
        var lost: String?
        var lastSent: ProtocolTime?
        /// The first thing sent since the host last answered anything.
        var unansweredSince: ProtocolTime?
        var nextHello: ProtocolTime?
    }

    public let expected: [Hello]
    public let placement: Placement
    public let hidden: Int
    public var settings: Settings
    let decoder: WireDecoder
    var handshake = Handshake.notStarted
    var links: [Link]
    var exchanges: [FrameAddress: OpenExchange] = [:]
    var nextExchange: UInt64 = 1
    public internal(set) var statistics = Statistics()
    /// The workload step the ledger's records belong to; set by whoever schedules the batches.
    public var workloadStep: Int32 = 0

    /// `expected[h]` is what host h must state in its hello.
    public init(expected: [Hello], placement: Placement, hidden: Int, limits: WireLimits, settings: Settings = Settings()) {
        precondition(expected.count == placement.hostCount, "\(expected.count) hellos for \(placement.hostCount) hosts")
        self.expected = expected
        self.placement = placement
        self.hidden = hidden
        self.settings = settings
        decoder = WireDecoder(limits: limits)
        links = Array(repeating: Link(), count: expected.count)
    }

    public var hostCount: Int { expected.count }
    public var isReady: Bool { if case .complete = handshake { true } else { false } }
    public var hosts: [HostInfo] { links.enumerated().map { $1.info ?? HostInfo(host: $0, experts: [], residentBytes: 0) } }
    /// Hosts declared lost and not back, with why.
    public var lostHosts: [Int: String] {
        Dictionary(uniqueKeysWithValues: links.enumerated().compactMap { index, link in link.lost.map { (index, $0) } })
    }
    /// Addresses of exchanges sent and not yet complete.
    public var openExchanges: [FrameAddress] { exchanges.keys.sorted { ($0.step, $0.microBatch) < ($1.step, $1.microBatch) } }

    /// The earliest moment something is due; the driver wakes by then.
    public var nextWake: ProtocolTime? {
        var times: [ProtocolTime] = []
        for open in exchanges.values where open.parent == nil {
            times.append(open.deadline)
            if let since = open.waitingSince { times.append(since + settings.rejoinWait) }
        }
        if case let .running(deadline, _, _, _) = handshake { times.append(deadline) }
        for link in links {
            if let next = link.nextHello { times.append(next) }
            guard isReady, link.lost == nil else { continue }
            if let interval = settings.heartbeatInterval, let sent = link.lastSent { times.append(sent + interval) }
            if let since = link.unansweredSince { times.append(since + settings.deathWindow) }
        }
        return times.min()
    }

    // MARK: Handshake

    public mutating func startHandshake(timeout: Duration, at now: ProtocolTime) -> [Directive] {
        handshake = .running(deadline: now + timeout, timeout: timeout, confirmed: [:], busy: [])
        return (0..<hostCount).map { hello(to: $0, at: now) }
    }

    private mutating func hello(to host: Int, at now: ProtocolTime) -> Directive {
        var hello = expected[host]
        hello.session = settings.session
        links[host].nextHello = now + settings.helloResend
        return control(.hello(hello), to: host, at: now, probe: false)
    }

    /// A frame outside the ledger, counted as such.
    private mutating func control(_ body: WireBody, to host: Int, at now: ProtocolTime, probe: Bool = true) -> Directive {
        let encoded = WireFrame(host: host, body: body).encoded()
        statistics.controlFramesSent += 1
        statistics.controlBytesSent += encoded.byteCount
        if probe { sent(to: host, at: now) }
        return .send(encoded, to: host)
    }

    mutating func sent(to host: Int, at now: ProtocolTime) {
        links[host].lastSent = now
        if links[host].unansweredSince == nil { links[host].unansweredSince = now }
    }

    private mutating func answered(hello answer: Hello, from host: Int, at now: ProtocolTime) -> [Directive] {
        guard answer.session == settings.session else {
            statistics.strayFrames += 1
            return [.log(.notice, "expert host \(host) answered another run's hello (session \(answer.session)); dropped")]
        }
        if let mismatch = expected[host].mismatch(with: answer) {
            if case .running = handshake { return fail(.hostHoldsOther(host: host, mismatch: mismatch.detail)) }
            return [.log(.warning, "expert host \(host) came back holding something else: \(mismatch.detail); still lost")]
        }
        let info = HostInfo(host: host, experts: answer.experts, residentBytes: answer.residentBytes, incarnation: answer.incarnation)
        // Acknowledged again on a repeated answer, in case the first acknowledgement was lost.
        var directives: [Directive] = [control(.helloAck, to: host, at: now, probe: false)]
        switch handshake {
        case .running(let deadline, let timeout, var confirmed, var busy):
            busy.remove(host)
            confirmed[host] = info
            links[host].info = info
            links[host].lost = nil
            links[host].nextHello = nil
            // Heartbeats count from the handshake on.
            links[host].lastSent = links[host].lastSent ?? now
            if confirmed.count == hostCount {
                handshake = .complete
                directives.append(.handshakeComplete(hosts))
            } else {
                handshake = .running(deadline: deadline, timeout: timeout, confirmed: confirmed, busy: busy)
            }
        case .complete:
            if links[host].lost == nil, let known = links[host].info, known.incarnation != info.incarnation {
                // Restarted between two of our frames: what it held in flight is gone.
                directives += hostLost(host, reason: "it was restarted (incarnation \(known.incarnation) → \(info.incarnation))", at: now)
            }
            guard links[host].lost != nil else { return directives }
            links[host].lost = nil
            links[host].info = info
            links[host].nextHello = nil
            links[host].unansweredSince = nil
            links[host].lastSent = now
            directives.append(.hostEvent(HostEvent(host: host, kind: .rejoined(incarnation: info.incarnation), at: now)))
            directives.append(.log(.notice, "expert host \(host) is back (incarnation \(info.incarnation))"))
            directives += retryWaitingPairs(at: now)
        case .notStarted:
            statistics.strayFrames += 1
            return []
        }
        return directives
    }

    // MARK: Events

    /// A message that arrived over host `message.host`'s link.
    public mutating func receive(_ message: ReceivedMessage, at now: ProtocolTime) -> [Directive] {
        let directives = handle(message, at: now)
        if !directives.contains(where: { if case .record = $0 { true } else { false } }) {
            statistics.controlFramesReceived += 1
            statistics.controlBytesReceived += message.byteCount
        }
        return directives
    }

    private mutating func handle(_ message: ReceivedMessage, at now: ProtocolTime) -> [Directive] {
        let host = message.host
        guard (0..<hostCount).contains(host) else {
            statistics.misattributedFrames += 1
            return [.log(.warning, "a message from outside the cluster's \(hostCount) links (link \(host)) was dropped")]
        }
        let frame: WireFrame
        do { frame = try message.decode(with: decoder) } catch {
            statistics.badFrames += 1
            return [.log(.warning, "expert host \(host) sent a bad frame (\(message.byteCount) bytes), dropped: \(error)")]
        }
        guard frame.host == host else {
            statistics.misattributedFrames += 1
            return [.log(.warning, "a \(frame.kind) frame naming host \(frame.host) came over host \(host)'s link, dropped")]
        }
        if case .hello = frame.body {} else if links[host].lost != nil {
            // A lost host is heard again only through a new handshake.
            statistics.strayFrames += 1
            return [.log(.debug, "a \(frame.kind) frame from lost expert host \(host), dropped")]
        }
        links[host].unansweredSince = nil
        switch frame.body {
        case let .hello(answer):
            return answered(hello: answer, from: host, at: now)
        case let .combine(answer):
            return combined(answer, frame: frame, wireBytes: message.byteCount, at: now)
        case let .error(failure):
            return reported(failure, frame: frame, at: now)
        case .heartbeat:
            statistics.heartbeats += 1
            return []
        case .helloAck, .dispatch, .shutdown:
            statistics.strayFrames += 1
            return [.log(.warning, "expert host \(host) sent a \(frame.kind) frame, which only a coordinator sends; dropped")]
        }
    }

    private mutating func reported(_ failure: Failure, frame: WireFrame, at now: ProtocolTime) -> [Directive] {
        let host = frame.host
        if case .running(let deadline, let timeout, let confirmed, var busy) = handshake, confirmed[host] == nil {
            switch failure.code {
            case .busy:
                busy.insert(host)
                handshake = .running(deadline: deadline, timeout: timeout, confirmed: confirmed, busy: busy)
                return [.log(.notice, "expert host \(host) serves another coordinator; asking again")]
            case .refused:
                return fail(.hostRefused(host: host, message: failure.message))
            default:
                break
            }
        }
        // An error answering an open exchange fails it; any other is the host's complaint about a
        // frame of ours, logged. Except a host that has no handshake with us (a dispatch "before a
        // completed handshake"): a process restarted at the same address before its silence was
        // noticed, or one that dropped us. What it was sent is gone with the process it was sent
        // to, as when a host dies: lost, its pairs to replicas, and hellos bring it back.
        if let address = exchanges.keys.first(where: { $0.step == frame.address.step }),
           exchanges[address]!.combine.missingHosts.contains(host) {
            if failure.code == .unexpectedFrame, isReady {
                return hostLost(host, reason: "it no longer knows this coordinator (restarted?): \(failure.message)", at: now)
            }
            let layer = address.layer
            removeExchange(root(of: address))
            return fail(.hostFailed(host: host, layer: layer, failure: failure))
        }
        statistics.strayFrames += 1
        return [.log(.warning, "expert host \(host) reported \(failure.code): \(failure.message)")]
    }

    /// Time passed: resends hellos that are due, sends heartbeats, declares silent hosts lost,
    /// and fails what is past its deadline.
    public mutating func tick(at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        if case .running(let deadline, let timeout, let confirmed, let busy) = handshake {
            let missing = (0..<hostCount).filter { confirmed[$0] == nil }
            if now >= deadline {
                return fail(.handshakeTimeout(missing: missing, busy: busy.sorted(), timeout: timeout))
            }
        }
        for host in 0..<hostCount {
            if let next = links[host].nextHello, now >= next, !isReady || links[host].lost != nil {
                directives.append(hello(to: host, at: now))
            }
            guard isReady, links[host].lost == nil else { continue }
            if let since = links[host].unansweredSince, now - since >= settings.deathWindow {
                directives += hostLost(host, reason: "it answered nothing for \(now - since)", at: now)
                continue
            }
            if let interval = settings.heartbeatInterval, let sent = links[host].lastSent, now - sent >= interval {
                directives.append(control(.heartbeat, to: host, at: now))
            }
        }
        directives += expireExchanges(at: now)
        return directives
    }

    /// Tells every host to stop, lost ones too (a host that was only hung obeys when it wakes).
    public mutating func shutdown(at now: ProtocolTime) -> [Directive] {
        (0..<hostCount).map { control(.shutdown, to: $0, at: now, probe: false) }
    }

    mutating func fail(_ reason: ClusterFailure.Reason) -> [Directive] {
        if case .running = handshake { handshake = .notStarted }
        return [.fail(ClusterFailure(reason))]
    }
}

// MARK: - Exchanges

/// One layer's exchange in flight, or a retry of part of one: the pairs of a lost host sent again
/// to other replicas, whose sums are added into its root's.
struct OpenExchange {
    var combine: CombineAccumulator
    var deadline: ProtocolTime
    var activations: [Float]
    var payload: ActivationPayloads
    /// The exchange this one retries part of; nil for a layer's own exchange.
    var parent: FrameAddress?
    /// Retries of this root still open.
    var openRetries = 0
    /// Sums of retries already answered, `tokens × hidden`.
    var retried: [Float]?
    /// Pairs whose every holder is lost, waiting for one to rejoin, and since when.
    var waiting: [DispatchPlan.Pair] = []
    var waitingSince: ProtocolTime?

    var isComplete: Bool { combine.isComplete && openRetries == 0 && waiting.isEmpty }
}

extension CoordinatorSession {
    /// Plans `routing` over the live hosts, sends each its tokens gathered from `activations`
    /// (`tokens × hidden`) and opens the exchange; its sum comes back as `.deliver` at the
    /// returned address. The plan is returned for the ledger's routing figures.
    public mutating func beginExchange(routing: RoutingDecision, layer: Int, microBatch: Int = 0, activations: [Float],
                                       payload: ActivationPayloads, at now: ProtocolTime) -> (FrameAddress, DispatchPlan?, [Directive]) {
        let pairs: [DispatchPlan.Pair]
        do { pairs = try DispatchPlan.pairs(of: routing, placement: placement) } catch {
            let address = FrameAddress(step: nextExchange, layer: layer, microBatch: microBatch)
            nextExchange += 1
            return (address, nil, fail(.other("layer \(layer): \(error)")))
        }
        return beginExchange(pairs: pairs, tokenCount: routing.tokenCount, topK: routing.topK, layer: layer, microBatch: microBatch,
                             activations: activations, payload: payload, at: now)
    }

    /// The same for checked (token, expert, weight) pairs, tokens ascending: what a node relay
    /// hands on of the rows it was sent, whose tokens carry only the node's experts.
    public mutating func beginExchange(pairs: [DispatchPlan.Pair], tokenCount: Int, topK: Int, layer: Int, microBatch: Int = 0,
                                       activations: [Float], payload: ActivationPayloads,
                                       at now: ProtocolTime) -> (FrameAddress, DispatchPlan?, [Directive]) {
        let address = FrameAddress(step: nextExchange, layer: layer, microBatch: microBatch)
        nextExchange += 1
        guard isReady else { return (address, nil, fail(.other("an exchange began before the handshake completed"))) }
        // Pairs whose every holder is lost wait for one to rejoin; the rest go out now.
        let lost = Set(lostHosts.keys)
        let plan: DispatchPlan
        var stranded: [DispatchPlan.Pair] = []
        do {
            var pairs = pairs
            if !lost.isEmpty {
                stranded = pairs.filter { !placement.hosts(of: $0.expert).contains { !lost.contains($0) } }
                pairs.removeAll { !placement.hosts(of: $0.expert).contains { !lost.contains($0) } }
            }
            plan = try DispatchPlan(tokenCount: tokenCount, topK: topK, pairs: pairs, placement: placement, excluding: lost)
        } catch {
            return (address, nil, fail(.other("layer \(layer): \(error)")))
        }
        var open = OpenExchange(combine: CombineAccumulator(plan: plan, hidden: hidden, address: address), deadline: now + settings.exchangeTimeout,
                                activations: activations, payload: payload)
        if !stranded.isEmpty {
            open.waiting = stranded
            open.waitingSince = now
        }
        let directives = dispatch(&open, address: address, at: now)
        exchanges[address] = open
        return (address, plan, directives + finishIfComplete(address))
    }

    /// Sends the dispatches of `open`'s plan and records them.
    private mutating func dispatch(_ open: inout OpenExchange, address: FrameAddress, at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        let plan = open.combine.plan
        for frame in plan.dispatchFrames(address: address, activations: open.activations, hidden: hidden, payload: open.payload) {
            let encoded = frame.encoded()
            sent(to: frame.host, at: now)
            directives.append(.send(encoded, to: frame.host))
            directives.append(.record(TrafficRecord(frame, wireBytes: encoded.byteCount, slots: plan.hosts[frame.host].pairCount,
                                                    step: workloadStep, sent: now)))
            if open.parent != nil {
                statistics.resentDispatches += 1
                statistics.resentBytes += encoded.byteCount
            }
        }
        return directives
    }

    mutating func combined(_ answer: Combine, frame: WireFrame, wireBytes: Int, at now: ProtocolTime) -> [Directive] {
        let host = frame.host
        guard var open = exchanges[frame.address] else {
            statistics.strayFrames += 1
            return [.log(.debug, "a combine from host \(host) for \(frame.address), which is not open, dropped")]
        }
        let plan = open.combine.plan
        guard plan.hosts[host].receivesMessage, !open.combine.abandoned.contains(host) else {
            statistics.strayFrames += 1
            return [.log(.debug, "a combine from host \(host) for \(frame.address), which expects none from it, dropped")]
        }
        guard open.combine.missingHosts.contains(host) else {
            statistics.duplicateFrames += 1
            return [.log(.debug, "a second combine from host \(host) for \(frame.address), dropped")]
        }
        let directives: [Directive] = [.record(TrafficRecord(frame, wireBytes: wireBytes, slots: plan.hosts[host].pairCount,
                                                             step: workloadStep, received: now))]
        do { try open.combine.receive(host: host, tokens: answer.tokens, partialSums: answer.partialSums) } catch {
            removeExchange(root(of: frame.address))
            return directives + fail(.protocolViolation(host: host, detail: "layer \(frame.address.layer): \(error)"))
        }
        exchanges[frame.address] = open
        return directives + finishIfComplete(frame.address)
    }

    /// Delivers a root whose hosts and retries have all answered; folds a finished retry into its root.
    private mutating func finishIfComplete(_ address: FrameAddress) -> [Directive] {
        guard let open = exchanges[address], open.isComplete else { return [] }
        let sums: [Float]
        do { sums = try open.combine.output() } catch {
            removeExchange(root(of: address))
            return fail(.other("layer \(address.layer): \(error)"))
        }
        exchanges[address] = nil
        if let parent = open.parent {
            guard var root = exchanges[parent] else { return [] }
            root.retried = root.retried.map { zip($0, sums).map(+) } ?? sums
            root.openRetries -= 1
            exchanges[parent] = root
            return finishIfComplete(parent)
        }
        return [.deliver(address, open.retried.map { zip(sums, $0).map(+) } ?? sums)]
    }

    func root(of address: FrameAddress) -> FrameAddress { exchanges[address]?.parent ?? address }

    /// Forgets a root exchange and its retries.
    mutating func removeExchange(_ root: FrameAddress) {
        exchanges = exchanges.filter { $0.key != root && $0.value.parent != root }
    }

    /// Host `host` is known to be gone: the pairs it had not answered go again to other replicas
    /// at once; what has no live replica waits for a rejoin, up to `rejoinWait`.
    public mutating func hostLost(_ host: Int, reason: String, at now: ProtocolTime) -> [Directive] {
        guard (0..<hostCount).contains(host), links[host].lost == nil else { return [] }
        links[host].lost = reason
        links[host].unansweredSince = nil
        links[host].nextHello = now + settings.helloResend
        var directives: [Directive] = [.hostEvent(HostEvent(host: host, kind: .lost(reason: reason), at: now)),
                                       .log(.warning, "expert host \(host) is lost: \(reason)")]
        // During the handshake, hellos keep going to it until the handshake's deadline: a restarted
        // process answers them (the driver fails at once when no restart is coming).
        if case .running = handshake { return directives }
        for address in openExchanges {
            guard var open = exchanges[address], open.combine.missingHosts.contains(host) else { continue }
            let pairs = open.combine.plan.pairs(of: host)
            open.combine.abandon(host: host)
            exchanges[address] = open
            let rootAddress = root(of: address), before = statistics.resentBytes
            directives += retry(pairs, root: rootAddress, at: now)
            directives.append(.hostEvent(HostEvent(host: host, kind: .failedOver(layer: address.layer, pairs: pairs.count,
                                                                             bytes: statistics.resentBytes - before), at: now)))
            directives += finishIfComplete(address)
        }
        return directives
    }

    /// Sends `pairs` of root exchange `rootAddress` to live replicas as a new retry exchange;
    /// those without one wait in the root.
    private mutating func retry(_ pairs: [DispatchPlan.Pair], root rootAddress: FrameAddress, at now: ProtocolTime) -> [Directive] {
        guard var root = exchanges[rootAddress], !pairs.isEmpty else { return [] }
        let lost = Set(lostHosts.keys)
        let (placeable, stranded) = pairs.reduce(into: ([DispatchPlan.Pair](), [DispatchPlan.Pair]())) { split, pair in
            if placement.hosts(of: pair.expert).contains(where: { !lost.contains($0) }) { split.0.append(pair) } else { split.1.append(pair) }
        }
        if !stranded.isEmpty {
            root.waiting += stranded
            root.waitingSince = root.waitingSince ?? now
        }
        var directives: [Directive] = []
        if !placeable.isEmpty, let plan = try? DispatchPlan(tokenCount: root.combine.plan.tokenCount, topK: root.combine.plan.topK,
                                                             pairs: placeable.sorted { $0.token < $1.token }, placement: placement, excluding: lost) {
            let address = FrameAddress(step: nextExchange, layer: rootAddress.layer, microBatch: rootAddress.microBatch)
            nextExchange += 1
            var retry = OpenExchange(combine: CombineAccumulator(plan: plan, hidden: hidden, address: address), deadline: root.deadline,
                                     activations: root.activations, payload: root.payload, parent: rootAddress)
            directives += dispatch(&retry, address: address, at: now)
            root.openRetries += 1
            exchanges[address] = retry
        }
        exchanges[rootAddress] = root
        return directives
    }

    /// After a rejoin: pairs that waited for a live holder are sent now.
    mutating func retryWaitingPairs(at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        for address in openExchanges {
            guard var root = exchanges[address], root.parent == nil, !root.waiting.isEmpty else { continue }
            let waiting = root.waiting
            root.waiting = []
            root.waitingSince = nil
            exchanges[address] = root
            directives += retry(waiting, root: address, at: now)
            directives += finishIfComplete(address)
        }
        return directives
    }

    /// Fails roots past their deadline, or whose stranded pairs waited `rejoinWait` in vain.
    mutating func expireExchanges(at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        for address in openExchanges {
            guard let open = exchanges[address], open.parent == nil else { continue }
            if let since = open.waitingSince, now - since >= settings.rejoinWait, let pair = open.waiting.first {
                removeExchange(address)
                let holders = placement.hosts(of: pair.expert)
                let reasons = holders.map { "host \($0): \(lostHosts[$0] ?? "lost")" }.joined(separator: "; ")
                directives += fail(.hostLost(host: holders[0], reason: "expert \(pair.expert) of layer \(address.layer) has no live host "
                                             + "after waiting \(settings.rejoinWait) for one to come back (\(reasons))"))
            } else if open.deadline <= now {
                let missing = ([address] + exchanges.filter { $0.value.parent == address }.map(\.key))
                    .flatMap { exchanges[$0]?.combine.missingHosts ?? [] }
                removeExchange(address)
                directives += fail(.exchangeTimeout(layer: address.layer, missing: Array(Set(missing)).sorted(), timeout: settings.exchangeTimeout))
            }
        }
        return directives
    }
}
