import SwitchyardProtocol
import SwitchyardTransport
import SwitchyardWire

/// Virtual time: it moves only when told to, so a 60-second timeout takes no time at all.
public final class VirtualClock: ProtocolClock {
    public private(set) var time: ProtocolTime

    public init(start: ProtocolTime = ProtocolTime(nanoseconds: 1_000_000_000)) { time = start }

    public func now() -> ProtocolTime { time }
    public func advance(by duration: Duration) { time = time + duration }
    public func advance(to moment: ProtocolTime) { if moment > time { time = moment } }
}

/// A coordinator and its expert hosts in one thread, in the spirit of swift-nio's EmbeddedChannel
/// with `advanceTime`: the same drivers and sessions as a real run, over links that carry real
/// encoded bytes and deliver them in virtual time. While a coordinator waits on its link, the
/// network delivers what is due, lets the hosts answer, and moves the clock to the next delivery
/// or to the end of the wait. Faults are the tests' to inject: a host that goes silent, frames
/// delayed, dropped, duplicated or reordered, frames from strangers.
public final class EmbeddedNetwork {
    /// One message on its way.
    public struct Envelope: Sendable {
        public enum Direction: Sendable, Equatable { case toHost, toCoordinator }
        public var direction: Direction
        /// The expert host at the other end of the link.
        public var host: Int
        /// The coordinator (by index) at the coordinator's end.
        public var coordinator: Int
        public var parts: [[UInt8]]
        public var deliverAt: ProtocolTime
        var sequence: Int

        /// The frame's kind, read from its header (nil for bytes too short to have one).
        public var kind: FrameKind? {
            guard let header = parts.first, header.count > 6 else { return nil }
            return FrameKind(rawValue: header[6])
        }
    }

    public let clock: VirtualClock
    public let hostCount: Int
    /// How long every message takes to cross.
    public var latency: Duration = .microseconds(10)
    /// What the network does with each message it is handed: the delays of the copies it delivers
    /// (`[]` drops it, two delays deliver it twice). Nil: one copy after `latency`.
    public var fault: ((Envelope) -> [Duration])?
    /// Hosts that take messages in and never answer (a hung or cut-off machine).
    public var silentHosts: Set<Int> = []
    private var hosts: [Int: ExpertHostServer] = [:]
    private var stopped: Set<Int> = []
    private var inFlight: [Envelope] = []
    private var sequence = 0

    public init(hosts: Int, clock: VirtualClock = VirtualClock()) {
        self.hostCount = hosts
        self.clock = clock
    }

    /// The peer id a coordinator has on the hosts' side.
    public static func peer(ofCoordinator index: Int) -> PeerID { PeerID(number: 1000 + index) }

    /// The link of coordinator `index` (0 unless a test plays a second one).
    public func coordinator(_ index: Int = 0) -> CoordinatorTransport { EmbeddedCoordinatorLink(network: self, index: index) }

    /// The link host `index`'s driver is built with; `attach` then lets the network deliver to it.
    public func hostLink(_ index: Int) -> HostTransport { EmbeddedHostLink(network: self, index: index) }

    /// Until attached, messages to the host are lost, as to a machine still starting. Attaching
    /// another server at the same index is a restart.
    public func attach(_ server: ExpertHostServer) {
        hosts[server.index] = server
        stopped.remove(server.index)
    }

    /// Whether host `index` has obeyed a shutdown.
    public func hasStopped(_ index: Int) -> Bool { stopped.contains(index) }

    /// Puts bytes on the wire as if `peer` had sent them to host `host`.
    public func inject(toHost host: Int, fromCoordinator index: Int, _ frame: EncodedFrame) {
        enqueue(Envelope(direction: .toHost, host: host, coordinator: index, parts: frame.parts, deliverAt: clock.now() + latency, sequence: 0))
    }

    /// Puts bytes on host `host`'s link to coordinator `index`, as if that host had sent them.
    public func inject(toCoordinator index: Int, overLinkOf host: Int, _ frame: EncodedFrame) {
        enqueue(Envelope(direction: .toCoordinator, host: host, coordinator: index, parts: frame.parts, deliverAt: clock.now() + latency, sequence: 0))
    }

    /// Messages waiting for coordinator `index` (one the test plays by hand), taken off the wire.
    public func take(forCoordinator index: Int) -> [ReceivedMessage] {
        runHosts(until: clock.now())
        let mine = inFlight.filter { $0.direction == .toCoordinator && $0.coordinator == index && $0.deliverAt <= clock.now() }
        inFlight.removeAll { envelope in mine.contains { $0.sequence == envelope.sequence } }
        return mine.map { ReceivedMessage(host: $0.host, parts: $0.parts) }
    }

    /// Delivers everything due by `moment` to the hosts, moving the clock as messages land, and
    /// then to `moment`.
    public func runHosts(until moment: ProtocolTime) {
        while let next = inFlight.filter({ $0.direction == .toHost && $0.deliverAt <= moment }).min(by: Self.earlier) {
            inFlight.removeAll { $0.sequence == next.sequence }
            clock.advance(to: next.deliverAt)
            deliverToHost(next)
        }
        clock.advance(to: moment)
    }

    func send(_ frame: EncodedFrame, from coordinator: Int, to host: Int) {
        enqueue(Envelope(direction: .toHost, host: host, coordinator: coordinator, parts: frame.parts, deliverAt: clock.now() + latency, sequence: 0))
    }

    func send(_ frame: EncodedFrame, fromHost host: Int, to peer: PeerID) {
        guard let coordinator = (0..<64).first(where: { Self.peer(ofCoordinator: $0) == peer }) else { return }
        enqueue(Envelope(direction: .toCoordinator, host: host, coordinator: coordinator, parts: frame.parts,
                         deliverAt: clock.now() + latency, sequence: 0))
    }

    /// Coordinator `index` waits up to `timeout`: hosts answer meanwhile; virtual time moves.
    func receive(forCoordinator index: Int, timeout: Duration) -> ReceivedMessage? {
        let limit = clock.now() + timeout
        while true {
            let relevant = inFlight.filter { $0.direction == .toHost || $0.coordinator == index }
            guard let next = relevant.min(by: Self.earlier), next.deliverAt <= limit else {
                clock.advance(to: limit)
                return nil
            }
            inFlight.removeAll { $0.sequence == next.sequence }
            clock.advance(to: next.deliverAt)
            if next.direction == .toCoordinator { return ReceivedMessage(host: next.host, parts: next.parts) }
            deliverToHost(next)
        }
    }

    private func deliverToHost(_ envelope: Envelope) {
        guard let server = hosts[envelope.host], !silentHosts.contains(envelope.host), !stopped.contains(envelope.host) else { return }
        let message = ReceivedMessage(host: envelope.host, peer: Self.peer(ofCoordinator: envelope.coordinator), parts: envelope.parts)
        do {
            if try server.handle(message) { stopped.insert(envelope.host) }
        } catch {
            stopped.insert(envelope.host)
        }
    }

    private func enqueue(_ envelope: Envelope) {
        let delays = fault?(envelope) ?? [latency]
        for delay in delays {
            var copy = envelope
            sequence += 1
            copy.sequence = sequence
            copy.deliverAt = clock.now() + delay
            inFlight.append(copy)
        }
    }

    private static func earlier(_ a: Envelope, _ b: Envelope) -> Bool { (a.deliverAt, a.sequence) < (b.deliverAt, b.sequence) }
}

final class EmbeddedCoordinatorLink: CoordinatorTransport {
    let network: EmbeddedNetwork
    let index: Int
    private(set) var counters = TransportCounters()

    init(network: EmbeddedNetwork, index: Int) {
        self.network = network
        self.index = index
    }

    var hostCount: Int { network.hostCount }

    func send(_ frame: EncodedFrame, to host: Int) throws {
        counters.sent(frame.byteCount)
        network.send(frame, from: index, to: host)
    }

    func receive(timeout: Duration) throws -> ReceivedMessage? {
        let message = network.receive(forCoordinator: index, timeout: timeout)
        if let message { counters.received(message.byteCount) }
        return message
    }

    func close() {}
}

final class EmbeddedHostLink: HostTransport {
    let network: EmbeddedNetwork
    let index: Int

    init(network: EmbeddedNetwork, index: Int) {
        self.network = network
        self.index = index
    }

    func send(_ frame: EncodedFrame, to peer: PeerID) throws { network.send(frame, fromHost: index, to: peer) }

    /// The network delivers to the host's driver itself; a host never waits in the harness.
    func receive(timeout: Duration) throws -> ReceivedMessage? { nil }

    func close() {}
}
