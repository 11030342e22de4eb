import Foundation
import SwitchyardTransport
import SwitchyardWire

extension EncodedFrame {
    /// Header and metadata copied into libzmq's messages; the payload handed over in place, kept
    /// alive by the release closure until libzmq has sent it.
    var zmqParts: [ZMQPart] {
        var parts: [ZMQPart] = [.copy(header), .copy(metadata)]
        if let payload, payload.byteCount > 0 {
            let (pointer, count) = payload.withUnsafeBytes { (UnsafeMutableRawPointer(mutating: $0.baseAddress!), $0.count) }
            parts.append(.zeroCopy(pointer, count: count, release: { withExtendedLifetime(payload) {} }))
        } else {
            parts.append(.copy([]))
        }
        return parts
    }
}

/// The coordinator's ZeroMQ links: a DEALER connected to each host's endpoint (`tcp://` between
/// machines, `ipc://` on one). Hosts bind; the coordinator connects, so hosts can start first.
public final class ZeroMQCoordinatorTransport: CoordinatorTransport {
    let context: ZMQContext
    let sockets: [ZMQSocket]
    public let endpoints: [String]
    public private(set) var counters = TransportCounters()

    /// `maximumMessageBytes` (from `WireLimits.largestPartBytes`) drops a host that sends a larger message part.
    public init(endpoints: [String], maximumMessageBytes: Int? = nil) throws {
        let context = try ZMQContext()
        self.context = context
        self.endpoints = endpoints
        sockets = try endpoints.map { endpoint in
            let socket = try ZMQSocket(context: context, kind: .dealer)
            if let maximumMessageBytes { try socket.setMaximumMessageSize(maximumMessageBytes) }
            do { try socket.connect(endpoint) } catch {
                throw TransportError("cannot connect to expert host at \(endpoint): \(error)")
            }
            return socket
        }
    }

    public var hostCount: Int { sockets.count }

    public func send(_ frame: EncodedFrame, to host: Int) throws {
        let parts = frame.zmqParts
        try sockets[host].send(parts)
        counters.sent(parts.reduce(0) { total, part in
            switch part {
            case let .copy(bytes): total + bytes.count
            case let .zeroCopy(_, count, _): total + count
            }
        })
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        guard let ready = try ZMQSocket.firstReadable(sockets, timeoutMilliseconds: Int(timeout.pollMilliseconds)) else { return nil }
        let parts = try sockets[ready].receive(timeoutMilliseconds: 0)
        counters.received(parts.reduce(0) { $0 + $1.count })
        return ReceivedMessage(host: ready, parts: parts)
    }

    public func close() { sockets.forEach { $0.close() } }

    /// Closes after giving what is queued (the shutdown frames) up to `linger` to leave.
    public func close(linger: Duration) { sockets.forEach { $0.close(linger: linger) } }
}

/// An expert host's ZeroMQ link: a ROUTER bound at the host's endpoint. Each connected peer is
/// known by its routing id, which the host's protocol keeps one session for.
public final class ZeroMQHostTransport: HostTransport {
    let context: ZMQContext
    let socket: ZMQSocket
    let index: Int
    public let boundEndpoint: String

    /// `maximumMessageBytes` (from `WireLimits.largestPartBytes`) drops a peer that sends a larger
    /// message part, so no one can make the host buffer more than a legal frame.
    public init(endpoint: String, host index: Int, maximumMessageBytes: Int? = nil) throws {
        if endpoint.hasPrefix("ipc://") {
            // The socket file's folder must exist; a stale socket file from a killed run is replaced.
            let path = String(endpoint.dropFirst("ipc://".count))
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, kind: .router)
        if let maximumMessageBytes { try socket.setMaximumMessageSize(maximumMessageBytes) }
        self.index = index
        do { boundEndpoint = try socket.bind(endpoint) } catch {
            throw TransportError("expert host \(index) cannot listen at \(endpoint): \(error)")
        }
    }

    public func send(_ frame: EncodedFrame, to peer: PeerID) throws {
        try socket.send([.copy(peer.bytes)] + frame.zmqParts)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        guard try socket.poll(timeoutMilliseconds: Int(timeout.pollMilliseconds)) else { return nil }
        var parts = try socket.receive(timeoutMilliseconds: 0)
        guard !parts.isEmpty else { return nil }
        let peer = PeerID(bytes: parts.removeFirst())
        return ReceivedMessage(host: index, peer: peer, parts: parts)
    }

    public func close() {
        socket.close()
        // libzmq leaves an ipc socket's file behind; nobody can connect to it any more.
        if boundEndpoint.hasPrefix("ipc://") { unlink(String(boundEndpoint.dropFirst("ipc://".count))) }
    }
}
