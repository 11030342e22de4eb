import Logging
import SwitchyardTraffic
import SwitchyardWire

/// An expert host's side of the protocol as a value: frames from peers and finished computations
/// go in, directives come out (send this frame to that peer, run this dispatch, record, stop).
/// It keeps one session per peer, so a stranger's hello, ack, dispatch or shutdown never changes
/// what an accepted coordinator gets; only an accepted coordinator is served or obeyed.
public struct HostProtocol {
    public struct Settings: Sendable {
        /// How long an accepted coordinator may stay silent (its heartbeats come every fraction of a
        /// second while it runs) before it is dropped and another may take its place.
        public var coordinatorSilence: Duration = .seconds(10)
        public init() {}
    }

    public struct Statistics: Sendable, Equatable {
        public var dispatches = 0
        public var badFrames = 0
        public var refusedHellos = 0
        public var heartbeats = 0
        /// Frames from peers that had not completed the handshake, ignored or refused.
        public var unauthorisedFrames = 0
    }

    public enum PeerState: Equatable, Sendable {
        /// Its hello matched; this host answered with its own and waits for the ack.
        case greeted
        /// Acknowledged: its dispatches are served and its shutdown obeyed.
        case accepted
    }

    public struct PeerSession: Equatable, Sendable {
        public var state: PeerState
        public var lastHeard: ProtocolTime
        /// The coordinator's run, from its hello.
        public var session: UInt64
    }

    /// A dispatch to run: the driver computes it and hands back the combine (or the error).
    public struct Work: Sendable {
        public var peer: PeerID
        public var frame: WireFrame
        public var receivedAt: ProtocolTime
        public var wireBytes: Int
    }

    public enum Directive: Sendable {
        case send(EncodedFrame, to: PeerID)
        case compute(Work)
        case record(TrafficRecord)
        /// A line for the host's log, at the level it deserves (start and stop `info`, problems `warning`).
        case log(Logger.Level, String)
        case stop
    }

    public let host: Int
    /// What this host holds, as it states it in the handshake.
    public let hello: Hello
    public let settings: Settings
    let decoder: WireDecoder
    public private(set) var peers: [PeerID: PeerSession] = [:]
    public private(set) var statistics = Statistics()

    public init(host: Int, hello: Hello, limits: WireLimits, settings: Settings = Settings()) {
        self.host = host
        self.hello = hello
        self.settings = settings
        decoder = WireDecoder(limits: limits)
    }

    /// The coordinator this host serves now, if any.
    public var acceptedPeer: PeerID? { peers.first { $0.value.state == .accepted }?.key }

    public mutating func receive(_ message: ReceivedMessage, at now: ProtocolTime) -> [Directive] {
        let peer = message.peer
        let frame: WireFrame
        do { frame = try message.decode(with: decoder) } catch {
            statistics.badFrames += 1
            let reply = reply(.error(Failure(code: .malformedFrame, message: error.description)), to: peer)
            // Logged at the 1st…8th, then the 16th, 32nd, … so a flood of bad frames cannot flood the log.
            let count = statistics.badFrames
            guard count <= 8 || count & (count - 1) == 0 else { return [reply] }
            return [.log(.warning, "expert host \(host): bad frame (\(message.byteCount) bytes) from \(peer): \(error)"
                         + (count > 8 ? " (\(count) bad frames so far; logging at powers of two)" : "")), reply]
        }
        let known = peers[peer]
        if known != nil { peers[peer]!.lastHeard = now }
        switch frame.body {
        case let .hello(expected):
            return greet(peer, expected: expected, at: now)
        case .helloAck:
            guard known?.state == .greeted || known?.state == .accepted else { return unauthorised(frame, from: peer) }
            peers[peer]!.state = .accepted
            return []
        case .dispatch:
            guard known?.state == .accepted else {
                statistics.unauthorisedFrames += 1
                return [reply(.error(Failure(code: .unexpectedFrame, message: "expert host \(host) got a dispatch before a completed handshake")),
                              to: peer, address: frame.address)]
            }
            return [.compute(Work(peer: peer, frame: frame, receivedAt: now, wireBytes: message.byteCount))]
        case .heartbeat:
            guard known?.state == .accepted else { return unauthorised(frame, from: peer) }
            statistics.heartbeats += 1
            return [reply(.heartbeat, to: peer)]
        case .shutdown:
            guard known?.state == .accepted else { return unauthorised(frame, from: peer) }
            return [.log(.info, "expert host \(host): shut down by its coordinator"), .stop]
        case .combine, .error:
            statistics.badFrames += 1
            return [reply(.error(Failure(code: .unexpectedFrame, message: "expert host \(host) does not accept \(frame.kind) frames")), to: peer)]
        }
    }

    /// The driver ran `work`: answers its peer with the combine, or with an error frame.
    public mutating func computed(_ work: Work, answer: Result<WireFrame, any Error>, at now: ProtocolTime) -> [Directive] {
        switch answer {
        case let .success(combine):
            statistics.dispatches += 1
            let encoded = combine.encoded()
            let slots: Int
            if case let .dispatch(dispatch) = work.frame.body { slots = dispatch.routes.pairCount } else { slots = 0 }
            return [.send(encoded, to: work.peer),
                    .record(TrafficRecord(work.frame, wireBytes: work.wireBytes, slots: slots, step: -1, received: work.receivedAt)),
                    .record(TrafficRecord(combine, wireBytes: encoded.byteCount, slots: slots, step: -1, sent: now))]
        case let .failure(error):
            statistics.badFrames += 1
            return [.log(.error, "expert host \(host): dispatch for \(work.frame.address) failed: \(error)"),
                    reply(.error(Failure(code: .expertFailed, message: "expert host \(host): \(error)")), to: work.peer, address: work.frame.address)]
        }
    }

    private mutating func greet(_ peer: PeerID, expected: Hello, at now: ProtocolTime) -> [Directive] {
        var directives: [Directive] = []
        if let current = acceptedPeer, current != peer {
            let active = peers[current]!
            if active.session == expected.session {
                // The same run over a new link (the coordinator reconnected): the new link takes over.
                peers[current] = nil
            } else if now - active.lastHeard >= settings.coordinatorSilence {
                peers[current] = nil
                directives.append(.log(.notice, "expert host \(host): dropped its coordinator (\(current)), silent for \(now - active.lastHeard)"))
            } else {
                statistics.refusedHellos += 1
                return [reply(.error(Failure(code: .busy, message: "expert host \(host) serves another coordinator")), to: peer)]
            }
        }
        if let mismatch = expected.mismatch(with: hello) {
            statistics.refusedHellos += 1
            peers[peer] = nil
            // The stranger learns which field differs, not this host's values.
            return directives + [.log(.warning, "expert host \(host): refused \(peer): \(mismatch)"),
                                 reply(.error(Failure(code: .refused, message: "expert host \(host) refused: \(mismatch.field) differs")), to: peer)]
        }
        // Peers that only said hello are forgotten when a newer one does, so strangers cannot pile up.
        peers = peers.filter { $0.value.state == .accepted }
        let state = peers[peer]?.session == expected.session ? peers[peer]!.state : .greeted
        peers[peer] = PeerSession(state: state, lastHeard: now, session: expected.session)
        var answer = hello
        answer.session = expected.session
        return directives + [reply(.hello(answer), to: peer)]
    }

    /// Time passed: a coordinator silent for `coordinatorSilence` is dropped.
    public mutating func tick(at now: ProtocolTime) -> [Directive] {
        guard let current = acceptedPeer, now - peers[current]!.lastHeard >= settings.coordinatorSilence else { return [] }
        let silence = now - peers[current]!.lastHeard
        peers[current] = nil
        return [.log(.notice, "expert host \(host): dropped its coordinator (\(current)), silent for \(silence)")]
    }

    private mutating func unauthorised(_ frame: WireFrame, from peer: PeerID) -> [Directive] {
        statistics.unauthorisedFrames += 1
        let count = statistics.unauthorisedFrames
        guard count <= 8 || count & (count - 1) == 0 else { return [] }
        return [.log(.warning, "expert host \(host): ignored a \(frame.kind) frame from \(peer), which has not completed the handshake"
                     + (count > 8 ? " (\(count) so far; logging at powers of two)" : ""))]
    }

    private func reply(_ body: WireBody, to peer: PeerID, address: FrameAddress = FrameAddress()) -> Directive {
        // Only dispatch and combine name a layer; an error keeps the step it answers.
        let address = body.kind.carriesActivations ? address : FrameAddress(step: address.step)
        return .send(WireFrame(address: address, host: host, body: body).encoded(), to: peer)
    }
}
