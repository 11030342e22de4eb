import Foundation
import SwitchyardWire

/// Links for a coordinator and expert hosts in one process, each host on its own thread.
/// Frames are encoded and decoded exactly as over a network, so tests see the real protocol.
public final class InProcessNetwork: @unchecked Sendable {
    let toHosts: [Mailbox]
    let toCoordinator = Mailbox()
    /// The coordinator's side, counted as it hands parts over and takes them (one thread uses it).
    public internal(set) var coordinatorCounters = TransportCounters()

    static let coordinatorPeer = PeerID(number: 0)

    public init(hosts: Int) {
        toHosts = (0..<hosts).map { _ in Mailbox() }
    }

    public var coordinator: CoordinatorTransport { InProcessCoordinator(network: self) }
    public func host(_ index: Int) -> HostTransport { InProcessHost(network: self, index: index) }
}

/// A queue of messages with a condition to wait on.
final class Mailbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var messages: [ReceivedMessage] = []

    func put(_ message: ReceivedMessage) {
        condition.lock()
        messages.append(message)
        condition.signal()
        condition.unlock()
    }

    func take(timeout: Duration) -> ReceivedMessage? {
        let deadline = ContinuousClock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        while messages.isEmpty {
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            let (seconds, attoseconds) = left.components
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) * 1e-18))
        }
        return messages.removeFirst()
    }
}

extension EncodedFrame {
    /// The three parts as separate byte arrays, as ZeroMQ would deliver them.
    public var parts: [[UInt8]] {
        [header, metadata, payload.map { rows in rows.withUnsafeBytes { [UInt8]($0) } } ?? []]
    }
}

final class InProcessCoordinator: CoordinatorTransport {
    let network: InProcessNetwork
    init(network: InProcessNetwork) { self.network = network }

    var hostCount: Int { network.toHosts.count }
    var counters: TransportCounters { network.coordinatorCounters }

    func send(_ frame: EncodedFrame, to host: Int) throws {
        let parts = frame.parts
        network.coordinatorCounters.sent(parts.reduce(0) { $0 + $1.count })
        network.toHosts[host].put(ReceivedMessage(host: host, peer: InProcessNetwork.coordinatorPeer, parts: parts))
    }

    func receive(timeout: Duration) throws -> ReceivedMessage? {
        let message = network.toCoordinator.take(timeout: timeout)
        if let message { network.coordinatorCounters.received(message.byteCount) }
        return message
    }

    func close() {}
}

final class InProcessHost: HostTransport {
    let network: InProcessNetwork
    let index: Int
    init(network: InProcessNetwork, index: Int) {
        self.network = network
        self.index = index
    }

    /// Only the network's one coordinator writes to a host, so every answer goes to it.
    func send(_ frame: EncodedFrame, to peer: PeerID) throws {
        network.toCoordinator.put(ReceivedMessage(host: index, parts: frame.parts))
    }

    func receive(timeout: Duration) throws -> ReceivedMessage? {
        network.toHosts[index].take(timeout: timeout)
    }

    func close() {}
}
