import Foundation
import Logging
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// An expert host's driver: runs a `HostProtocol` over its transport, computing the dispatches it
/// is told to with the host's slice of the routed experts, until its coordinator shuts it down.
/// Owned by the one thread that serves; it is handed over to that thread once, before `serve`.
public final class ExpertHostServer: @unchecked Sendable {
    public typealias Statistics = HostProtocol.Statistics
    /// What the host does with a dispatch frame: the combine frame answering it.
    public typealias Answer = (WireFrame) throws -> WireFrame

    public let index: Int
    let transport: HostTransport
    let clock: ProtocolClock
    let logger: Logger
    let answer: Answer
    public private(set) var session: HostProtocol
    /// When set, every dispatch received and combine sent, with this host's times.
    public var traffic: TrafficRecorder?
    /// A slow link: every frame leaves this long after it is ready, without holding the host up
    /// (it goes on serving meanwhile), as a distant machine's would. The `delay` fault.
    public var linkDelay: Duration = .zero
    /// Called on every turn of the serving loop (at least every `poll`): a node relay keeps its
    /// own hosts hearing from it here.
    public var idle: (() throws -> Void)?
    private var outbox: [(due: ProtocolTime, frame: EncodedFrame, peer: PeerID)] = []

    /// A host of routed experts: answers with its slice's gate-weighted partial sums.
    public convenience init(index: Int, config: ModelConfig, placement: Placement, experts: RoutedExpertWeights,
                            weightsFingerprint: String, transport: HostTransport, limits: WireLimits,
                            clock: ProtocolClock = SystemProtocolClock(), logger: Logger = .silent) {
        let computation = HostComputation(placement: placement, host: index, hidden: config.hiddenSize)
        let hello = Hello(config: config, placement: placement, host: index, weightsFingerprint: weightsFingerprint,
                          residentBytes: UInt64(experts.residentBytes))
        self.init(index: index, hello: hello, transport: transport, limits: limits, clock: clock, logger: logger) { frame in
            let layer = frame.address.layer
            return try computation.answer(frame) { expert, input, rows in
                guard experts.experts.indices.contains(layer), let weights = experts.experts[layer][expert] else {
                    throw MissingExpertError(layer: layer, expert: expert)
                }
                return weights.forward(input, tokens: rows)
            }
        }
    }

    /// A host that answers dispatches with `answer` (a node relay hands them on); `hello` is what
    /// it states in the handshake (a fresh incarnation is drawn here).
    public init(index: Int, hello: Hello, transport: HostTransport, limits: WireLimits,
                clock: ProtocolClock = SystemProtocolClock(), logger: Logger = .silent, answer: @escaping Answer) {
        self.index = index
        self.transport = transport
        self.clock = clock
        self.answer = answer
        var hello = hello
        hello.incarnation = UInt64.random(in: 1...UInt64.max)
        session = HostProtocol(host: index, hello: hello, limits: limits)
        self.logger = logger
    }

    public var statistics: Statistics { session.statistics }
    public var hello: Hello { session.hello }

    /// Serves until its coordinator's shutdown, or `shouldStop` says so (checked at least every `poll`).
    public func serve(poll: Duration = .milliseconds(200), shouldStop: () -> Bool = { false }) throws -> Statistics {
        while !shouldStop() {
            try idle?()
            for directive in session.tick(at: clock.now()) { if case let .log(level, line) = directive { logger.log(level: level, "\(line)") } }
            try flushOutbox()
            let wait = outbox.first.map { min(poll, max(.zero, $0.due - clock.now())) } ?? poll
            // Transports wait in whole milliseconds (zmq_poll), rounded up: a delayed frame would
            // leave up to a millisecond late. They get the whole milliseconds; the rest goes in
            // naps of at most `delayNap`, looking for messages between them.
            let whole = Duration.milliseconds(Int64(wait / .milliseconds(1)))
            guard let message = try transport.receive(timeout: whole) else {
                if wait > whole { Self.nap(min(wait - whole, Self.delayNap)) }
                continue
            }
            if try handle(message) { break }
        }
        outbox.sort { $0.due < $1.due }
        for entry in outbox { try transport.send(entry.frame, to: entry.peer) }
        outbox = []
        return statistics
    }

    /// The longest nap while a delayed frame is due within a millisecond.
    static let delayNap = Duration.microseconds(50)

    private static func nap(_ span: Duration) {
        let microseconds = span / .microseconds(1)
        if microseconds >= 1 { usleep(UInt32(microseconds)) }
    }

    /// Handles one message; true when it was the coordinator's shutdown.
    public func handle(_ message: ReceivedMessage) throws -> Bool {
        var pending = session.receive(message, at: clock.now())
        var stop = false
        while !pending.isEmpty {
            let directive = pending.removeFirst()
            switch directive {
            case let .send(frame, peer):
                if linkDelay > .zero { outbox.append((clock.now() + linkDelay, frame, peer)) } else { try transport.send(frame, to: peer) }
            case let .record(record): traffic?.record(record)
            case let .log(level, line): logger.log(level: level, "\(line)")
            case .stop: stop = true
                try flushOutbox(all: true)
            case let .compute(work):
                let answer = Result { try self.answer(work.frame) }
                pending = session.computed(work, answer: answer, at: clock.now()) + pending
            }
        }
        return stop
    }

    /// Sends the delayed frames that are due (all of them when stopping).
    private func flushOutbox(all: Bool = false) throws {
        guard !outbox.isEmpty else { return }
        let now = clock.now()
        let due = outbox.filter { all || $0.due <= now }
        outbox.removeAll { all || $0.due <= now }
        for entry in due { try transport.send(entry.frame, to: entry.peer) }
    }
}
