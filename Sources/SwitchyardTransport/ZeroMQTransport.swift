import CZeroMQ
import Foundation
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

    static let sendTimeoutMilliseconds: Int32 = 2000

    /// Each link's connection and handshake events, to say why a host never answered.
    let monitors: [ZeroMQLinkMonitor]
    let security: ZeroMQSecurity?

    /// With `security` (`.curveClient`), each link is a CURVE client of its host's listed server key.
    /// `maximumMessageBytes` (from `WireLimits.largestPartBytes`) drops a host that sends a larger message part.
    public init(endpoints: [String], security: ZeroMQSecurity? = nil, maximumMessageBytes: Int? = nil) throws {
        let context = try ZMQContext()
        self.context = context
        self.endpoints = endpoints
        self.security = security
        var monitors: [ZeroMQLinkMonitor] = []
        sockets = try endpoints.enumerated().map { host, endpoint in
            let socket = try ZMQSocket(context: context, kind: .dealer)
            if let maximumMessageBytes { try socket.setMaximumMessageSize(maximumMessageBytes) }
            try security?.applyClient(to: socket, host: host)
            // A link whose host refused this coordinator's key has no pipe left, and a send on it would block for ever.
            try socket.setOption(ZMQ_SNDTIMEO, int: Self.sendTimeoutMilliseconds, name: "SNDTIMEO")
            monitors.append(try ZeroMQLinkMonitor(context: context, socket: socket, name: "host-\(host)"))
            do { try socket.connect(endpoint) } catch {
                throw TransportError("cannot connect to expert host at \(endpoint): \(error)")
            }
            return socket
        }
        self.monitors = monitors
    }

    public var hostCount: Int { sockets.count }

    public func send(_ frame: EncodedFrame, to host: Int) throws {
        let parts = frame.zmqParts
        do { try sockets[host].send(parts) } catch let ZeroMQError.call(_, code, _) where code == EAGAIN {
            throw TransportError("expert host \(host) at \(endpoints[host]) takes no messages: \(linkProblem(host: host) ?? "its link is gone")")
        }
        counters.sent(parts.reduce(0) { total, part in
            switch part {
            case let .copy(bytes): total + bytes.count
            case let .zeroCopy(_, count, _): total + count
            }
        })
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        guard let ready = try ZMQSocket.firstReadable(sockets, timeoutMilliseconds: Int(timeout.pollMilliseconds)) else { return nil }
        // Decoded where libzmq received it: no copy of a megabyte frame into arrays first.
        let parts = try sockets[ready].receiveBorrowed(timeoutMilliseconds: 0).parts
        let message = ReceivedMessage(host: ready, borrowing: parts)
        counters.received(message.byteCount)
        return message
    }

    public func close() {
        monitors.forEach { $0.close() }
        sockets.forEach { $0.close() }
    }

    /// Closes after giving what is queued (the shutdown frames) up to `linger` to leave.
    public func close(linger: Duration) {
        monitors.forEach { $0.close() }
        sockets.forEach { $0.close(linger: linger) }
    }

    /// Why host `host`'s link has not carried a message, from its events so far: nothing
    /// accepted the connection, or the (CURVE) handshake never completed; nil once it has.
    public func linkProblem(host: Int) -> String? {
        guard monitors.indices.contains(host) else { return nil }
        return monitors[host].problem(endpoint: endpoints[host], secured: security != nil)
    }
}

/// An expert host's ZeroMQ link: a ROUTER bound at the host's endpoint. Each connected peer is
/// known by its routing id, which the host's protocol keeps one session for.
public final class ZeroMQHostTransport: HostTransport {
    let context: ZMQContext
    let socket: ZMQSocket
    let index: Int
    public let boundEndpoint: String

    /// Admits CURVE clients with listed keys only, when the host is a CURVE server.
    let authenticator: ZAPHandler?

    /// With `security` (`.curveServer`), the host is a CURVE server whose ZAP handler admits only
    /// the listed coordinator keys; `log` hears of refused clients.
    /// `maximumMessageBytes` (from `WireLimits.largestPartBytes`) drops a peer that sends a larger
    /// message part, so no one can make the host buffer more than a legal frame.
    public init(endpoint: String, host index: Int, security: ZeroMQSecurity? = nil, maximumMessageBytes: Int? = nil,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        if let path = IPCSocketFile.path(of: endpoint) {
            // A stale socket file from a dead run is replaced; a live one is not taken over.
            do { try IPCSocketFile.prepare(path) } catch { throw TransportError("expert host \(index) cannot listen at \(endpoint): \(error)") }
        }
        context = try ZMQContext()
        if case let .curveServer(_, admitted) = security {
            authenticator = try ZAPHandler(context: context, admitting: admitted) { log("expert host \(index): \($0)") }
        } else {
            authenticator = nil
        }
        socket = try ZMQSocket(context: context, kind: .router)
        if let maximumMessageBytes { try socket.setMaximumMessageSize(maximumMessageBytes) }
        try security?.applyServer(to: socket)
        self.index = index
        do { boundEndpoint = try socket.bind(endpoint) } catch {
            authenticator?.stop()
            throw TransportError("expert host \(index) cannot listen at \(endpoint): \(error)")
        }
    }

    /// ZeroMQ clients the ZAP handler refused and admitted so far (zero without CURVE).
    public var authentication: (refused: Int, admitted: Int) { authenticator?.counts ?? (0, 0) }

    public func send(_ frame: EncodedFrame, to peer: PeerID) throws {
        try socket.send([.copy(peer.bytes)] + frame.zmqParts)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        guard try socket.poll(timeoutMilliseconds: Int(timeout.pollMilliseconds)) else { return nil }
        // The routing id is copied out; the frame stays in libzmq's buffers until decoded.
        let (routing, parts) = try socket.receiveBorrowed(timeoutMilliseconds: 0, skip: 1)
        guard let id = routing.first else { return nil }
        return ReceivedMessage(host: index, peer: PeerID(bytes: id), borrowing: parts)
    }

    public func close() {
        socket.close()
        authenticator?.stop()
        // libzmq leaves an ipc socket's file behind; nobody can connect to it any more.
        if boundEndpoint.hasPrefix("ipc://") { unlink(String(boundEndpoint.dropFirst("ipc://".count))) }
    }
}
