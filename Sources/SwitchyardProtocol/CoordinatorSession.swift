import SwitchyardTraffic
import SwitchyardWire

/// What the coordinator learned of a host in the handshake.
public struct HostInfo: Sendable, Equatable {
    public var host: Int
    public var experts: [Int]
    public var residentBytes: UInt64

    public init(host: Int, experts: [Int], residentBytes: UInt64) {
        self.host = host
        self.experts = experts
        self.residentBytes = residentBytes
    }
}

/// The coordinator's side of the protocol as a value, in the manner of SWIM's `Instance`: events
/// go in (start the handshake, begin an exchange, a message from host h, time passed, host h is
/// gone) and directives come out (send, record, handshake complete, deliver a layer's sum, fail).
/// No sockets, clocks or threads: a driver performs the directives, the embedded harness tests it
/// in virtual time. A frame is attributed to the host its link names, never to its header; frames
/// that belong to nothing open (late, duplicate, stray) are counted and dropped, never fatal.
public struct CoordinatorSession {
    public struct Settings: Sendable {
        /// How often hellos go again to hosts that have not answered (still starting, say).
        public var helloResend: Duration = .seconds(1)
        /// How long one layer's exchange may take before it fails.
        public var exchangeTimeout: Duration = .seconds(60)
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
        case log(String)
    }

    enum Handshake {
        case notStarted
        case running(deadline: ProtocolTime, timeout: Duration, nextResend: ProtocolTime, confirmed: [Int: HostInfo], busy: Set<Int>)
        case complete
    }

    struct OpenExchange {
        var combine: CombineAccumulator
        var deadline: ProtocolTime
    }

    public let expected: [Hello]
    public let hidden: Int
    public var settings: Settings
    let decoder: WireDecoder
    var handshake = Handshake.notStarted
    var exchanges: [FrameAddress: OpenExchange] = [:]
    var nextExchange: UInt64 = 1
    public private(set) var hosts: [HostInfo] = []
    public private(set) var lostHosts: [Int: String] = [:]
    public private(set) var statistics = Statistics()
    /// The workload step the ledger's records belong to; set by whoever schedules the batches.
    public var workloadStep: Int32 = 0

    /// `expected[h]` is what host h must state in its hello.
    public init(expected: [Hello], hidden: Int, limits: WireLimits, settings: Settings = Settings()) {
        self.expected = expected
        self.hidden = hidden
        self.settings = settings
        decoder = WireDecoder(limits: limits)
    }

    public var hostCount: Int { expected.count }
    public var isReady: Bool { if case .complete = handshake { true } else { false } }
    /// Addresses of exchanges sent and not yet complete.
    public var openExchanges: [FrameAddress] { exchanges.keys.sorted { ($0.step, $0.microBatch) < ($1.step, $1.microBatch) } }

    /// The earliest moment something is due (a hello resend, a deadline); the driver wakes by then.
    public var nextWake: ProtocolTime? {
        var times = exchanges.values.map(\.deadline)
        if case let .running(deadline, _, resend, _, _) = handshake { times += [deadline, resend] }
        return times.min()
    }

    // MARK: Handshake

    public mutating func startHandshake(timeout: Duration, at now: ProtocolTime) -> [Directive] {
        handshake = .running(deadline: now + timeout, timeout: timeout, nextResend: now + settings.helloResend, confirmed: [:], busy: [])
        return (0..<hostCount).map { control(.hello(expected[$0]), to: $0) }
    }

    /// A frame outside the ledger, counted as such.
    private mutating func control(_ body: WireBody, to host: Int) -> Directive {
        let encoded = WireFrame(host: host, body: body).encoded()
        statistics.controlFramesSent += 1
        statistics.controlBytesSent += encoded.byteCount
        return .send(encoded, to: host)
    }

    private mutating func answered(hello answer: Hello, from host: Int) -> [Directive] {
        guard case .running(let deadline, let timeout, let resend, var confirmed, var busy) = handshake else {
            statistics.strayFrames += 1
            return []
        }
        if let mismatch = expected[host].mismatch(with: answer) {
            return fail(.hostHoldsOther(host: host, mismatch: mismatch.detail))
        }
        busy.remove(host)
        confirmed[host] = HostInfo(host: host, experts: answer.experts, residentBytes: answer.residentBytes)
        // Acknowledged again on a repeated answer, in case the first acknowledgement was lost.
        var directives: [Directive] = [control(.helloAck, to: host)]
        if confirmed.count == hostCount {
            hosts = (0..<hostCount).map { confirmed[$0]! }
            handshake = .complete
            directives.append(.handshakeComplete(hosts))
        } else {
            handshake = .running(deadline: deadline, timeout: timeout, nextResend: resend, confirmed: confirmed, busy: busy)
        }
        return directives
    }

    // MARK: Exchanges

    /// Sends each host of `plan` its tokens, gathered from `activations` (`tokens × hidden`), and
    /// opens the exchange; its sum comes back as `.deliver` with the returned address.
    public mutating func beginExchange(plan: DispatchPlan, layer: Int, microBatch: Int = 0, activations: [Float], payload: PayloadType,
                                       at now: ProtocolTime) -> (FrameAddress, [Directive]) {
        let address = FrameAddress(step: nextExchange, layer: layer, microBatch: microBatch)
        nextExchange += 1
        guard isReady else { return (address, fail(.other("an exchange began before the handshake completed"))) }
        if let lost = plan.activeHosts.first(where: { lostHosts[$0] != nil }) {
            return (address, fail(.hostLost(host: lost, reason: lostHosts[lost]!)))
        }
        var directives: [Directive] = []
        for frame in plan.dispatchFrames(address: address, activations: activations, hidden: hidden, payload: payload) {
            let encoded = frame.encoded()
            directives.append(.send(encoded, to: frame.host))
            directives.append(.record(TrafficRecord(frame, wireBytes: encoded.byteCount, slots: plan.hosts[frame.host].pairCount,
                                                    step: workloadStep, sent: now)))
        }
        let combine = CombineAccumulator(plan: plan, hidden: hidden, address: address)
        if combine.isComplete {
            directives.append(deliver(address, combine))
        } else {
            exchanges[address] = OpenExchange(combine: combine, deadline: now + settings.exchangeTimeout)
        }
        return (address, directives)
    }

    private func deliver(_ address: FrameAddress, _ combine: CombineAccumulator) -> Directive {
        do { return .deliver(address, try combine.output()) } catch {
            return .fail(ClusterFailure(.other("layer \(address.layer): \(error)")))
        }
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
            return [.log("a message from outside the cluster's \(hostCount) links (link \(host)) was dropped")]
        }
        let frame: WireFrame
        do { frame = try message.decode(with: decoder) } catch {
            statistics.badFrames += 1
            return [.log("expert host \(host) sent a bad frame (\(message.byteCount) bytes), dropped: \(error)")]
        }
        guard frame.host == host else {
            statistics.misattributedFrames += 1
            return [.log("a \(frame.kind) frame naming host \(frame.host) came over host \(host)'s link, dropped")]
        }
        switch frame.body {
        case let .hello(answer):
            return answered(hello: answer, from: host)
        case let .combine(answer):
            return combined(answer, frame: frame, wireBytes: message.byteCount, at: now)
        case let .error(failure):
            return reported(failure, frame: frame)
        case .heartbeat:
            statistics.heartbeats += 1
            return []
        case .helloAck, .dispatch, .shutdown:
            statistics.strayFrames += 1
            return [.log("expert host \(host) sent a \(frame.kind) frame, which only a coordinator sends; dropped")]
        }
    }

    private mutating func combined(_ answer: Combine, frame: WireFrame, wireBytes: Int, at now: ProtocolTime) -> [Directive] {
        let host = frame.host
        guard var open = exchanges[frame.address] else {
            statistics.strayFrames += 1
            return [.log("a combine from host \(host) for \(frame.address), which is not open, dropped")]
        }
        let plan = open.combine.plan
        guard plan.hosts[host].receivesMessage else {
            statistics.strayFrames += 1
            return [.log("a combine from host \(host) for \(frame.address), which sent it nothing, dropped")]
        }
        guard open.combine.missingHosts.contains(host) else {
            statistics.duplicateFrames += 1
            return [.log("a second combine from host \(host) for \(frame.address), dropped")]
        }
        var directives: [Directive] = [.record(TrafficRecord(frame, wireBytes: wireBytes, slots: plan.hosts[host].pairCount,
                                                             step: workloadStep, received: now))]
        do { try open.combine.receive(host: host, tokens: answer.tokens, partialSums: answer.partialSums.floats) } catch {
            exchanges[frame.address] = nil
            return directives + fail(.protocolViolation(host: host, detail: "layer \(frame.address.layer): \(error)"))
        }
        if open.combine.isComplete {
            exchanges[frame.address] = nil
            directives.append(deliver(frame.address, open.combine))
        } else {
            exchanges[frame.address] = open
        }
        return directives
    }

    private mutating func reported(_ failure: Failure, frame: WireFrame) -> [Directive] {
        let host = frame.host
        if case .running(let deadline, let timeout, let resend, let confirmed, var busy) = handshake, confirmed[host] == nil {
            switch failure.code {
            case .busy:
                busy.insert(host)
                handshake = .running(deadline: deadline, timeout: timeout, nextResend: resend, confirmed: confirmed, busy: busy)
                return [.log("expert host \(host) serves another coordinator; asking again")]
            case .refused:
                return fail(.hostRefused(host: host, message: failure.message))
            default:
                break
            }
        }
        // An error answering an open exchange fails it; any other is the host's complaint about a
        // frame of ours, logged.
        if let address = exchanges.keys.first(where: { $0.step == frame.address.step }),
           exchanges[address]!.combine.missingHosts.contains(host) {
            exchanges[address] = nil
            return fail(.hostFailed(host: host, layer: address.layer, failure: failure))
        }
        statistics.strayFrames += 1
        return [.log("expert host \(host) reported \(failure.code): \(failure.message)")]
    }

    /// Time passed: resends hellos that are due, fails what is past its deadline.
    public mutating func tick(at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        if case .running(let deadline, let timeout, let resend, let confirmed, let busy) = handshake {
            let missing = (0..<hostCount).filter { confirmed[$0] == nil }
            if now >= deadline {
                return fail(.handshakeTimeout(missing: missing, busy: busy.sorted(), timeout: timeout))
            }
            if now >= resend {
                directives += missing.map { control(.hello(expected[$0]), to: $0) }
                handshake = .running(deadline: deadline, timeout: timeout, nextResend: now + settings.helloResend, confirmed: confirmed, busy: busy)
            }
        }
        for address in openExchanges where exchanges[address]!.deadline <= now {
            let missing = exchanges[address]!.combine.missingHosts
            exchanges[address] = nil
            directives += fail(.exchangeTimeout(layer: address.layer, missing: missing, timeout: settings.exchangeTimeout))
        }
        return directives
    }

    /// Host `host` is known to be gone: what waited on it fails now, not at its deadline.
    public mutating func hostLost(_ host: Int, reason: String, at now: ProtocolTime) -> [Directive] {
        guard (0..<hostCount).contains(host), lostHosts[host] == nil else { return [] }
        lostHosts[host] = reason
        if case .running = handshake { return fail(.hostLost(host: host, reason: reason)) }
        var directives: [Directive] = []
        for address in openExchanges where exchanges[address]!.combine.missingHosts.contains(host) {
            exchanges[address] = nil
            directives += fail(.hostLost(host: host, reason: reason))
        }
        return directives
    }

    /// Tells every host still there to stop.
    public mutating func shutdown() -> [Directive] {
        (0..<hostCount).filter { lostHosts[$0] == nil }.map { control(.shutdown, to: $0) }
    }

    private mutating func fail(_ reason: ClusterFailure.Reason) -> [Directive] {
        if case .running = handshake { handshake = .notStarted }
        return [.fail(ClusterFailure(reason))]
    }
}
