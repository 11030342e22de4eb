import Foundation

/// A minimal HTTP/1.1 responder for Prometheus scrapes: one listening socket, one request per
/// connection, `GET /metrics` answered with the text exposition format, anything else 404.
/// Binds 127.0.0.1 unless told otherwise.
///
/// Built so that no client can hurt the run it reports on: each connection is served on its
/// own thread under a deadline (a slow or silent client holds only its own thread, and only
/// until then), at most `maximumConnections` at once; sends use MSG_NOSIGNAL, so a client that
/// closes early costs an EPIPE, never a SIGPIPE; a failing accept() backs off instead of spinning.
public final class MetricsEndpoint: @unchecked Sendable {
    public let port: Int
    /// How long one connection may take, request and answer together.
    public let connectionDeadline: Duration
    public static let maximumConnections = 16
    private let socket: Int32
    private let body: @Sendable () -> String
    private let lock = NSLock()
    private var stopped = false
    private var active = 0
    private let finished = DispatchSemaphore(value: 0)

    /// Listens at once (port 0: any free port, see `port`) and serves until `stop`.
    public init(address: String = "127.0.0.1", port: Int, connectionDeadline: Duration = .seconds(2),
                body: @escaping @Sendable () -> String) throws {
        guard (0...65535).contains(port) else { throw MetricsEndpointError("--metrics-port must be in 0...65535, got \(port)") }
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsEndpointError("cannot create a socket: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(fd)
            throw MetricsEndpointError("--metrics-address \(address) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw MetricsEndpointError("--metrics-port \(port): cannot listen on \(address):\(port): \(String(cString: strerror(code)))")
        }
        var actual = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.connectionDeadline = connectionDeadline
        socket = fd
        self.body = body
        let thread = Thread { [self] in
            acceptLoop()
            finished.signal()
        }
        thread.name = "metrics-endpoint"
        thread.start()
    }

    /// Stops accepting and closes the listening socket once the accept loop has seen the stop
    /// (within its poll interval); connections already being served finish under their deadlines.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        finished.wait()
        close(socket)
    }

    /// Serves for `duration` more, then stops: `--metrics-linger`, so scrapers see the final values.
    public func linger(for duration: Duration) {
        if duration > .zero { Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18) }
        stop()
    }

    /// Connections being served now.
    public var activeConnections: Int { lock.withLock { active } }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        var backoff = AcceptBackoff()
        while !isStopped {
            // Poll rather than block in accept(), so `stop` is seen within 100 ms.
            var item = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&item, 1, 100)
            if ready <= 0 { continue }
            let client = accept(socket, nil, nil)
            if client < 0 {
                let code = errno
                // Transient per-connection failures retry at once; running out of descriptors or
                // memory waits, doubling up to a second, so the loop does not spin on the CPU.
                if code == EINTR || code == ECONNABORTED || code == EAGAIN || code == EPROTO { continue }
                usleep(backoff.next())
                continue
            }
            backoff.reset()
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let admitted = lock.withLock { () -> Bool in
                guard active < Self.maximumConnections else { return false }
                active += 1
                return true
            }
            guard admitted else {
                // Too many at once: a short refusal, without waiting on this client.
                respond(client, status: "503 Service Unavailable", type: "text/plain; charset=utf-8", text: "busy\n",
                        deadline: ContinuousClock.now + .milliseconds(100))
                close(client)
                continue
            }
            let connection = Thread { [self] in
                serve(client)
                lock.withLock { active -= 1 }
                close(client)
            }
            connection.name = "metrics-connection"
            connection.start()
        }
    }

    private func serve(_ client: Int32) {
        let deadline = ContinuousClock.now + connectionDeadline
        guard let request = readRequestHead(client, deadline: deadline) else { return }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        if line.count >= 2, line[0] == "GET", line[1] == "/metrics" || line[1].hasPrefix("/metrics?") {
            respond(client, status: "200 OK", type: "text/plain; version=0.0.4; charset=utf-8", text: body(), deadline: deadline)
        } else {
            respond(client, status: "404 Not Found", type: "text/plain; charset=utf-8", text: "switchyard serves GET /metrics\n", deadline: deadline)
        }
    }

    /// The request head (scrapes have no body), or nil when the client closes, sends more than
    /// 16 KiB, or is still sending at the deadline.
    private func readRequestHead(_ client: Int32, deadline: ContinuousClock.Instant) -> [UInt8]? {
        var request: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
        while !request.ends(with: [13, 10, 13, 10]) {
            guard request.count < 16384, wait(client, for: Int16(POLLIN), until: deadline) else { return nil }
            let n = recv(client, &buffer, buffer.count, 0)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            request += buffer[0..<n]
        }
        return request
    }

    private func respond(_ client: Int32, status: String, type: String, text: String, deadline: ContinuousClock.Instant) {
        let payload = Array(text.utf8)
        let head = Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n".utf8)
        for part in [head, payload] {
            var offset = 0
            while offset < part.count {
                guard wait(client, for: Int16(POLLOUT), until: deadline) else { return }
                // MSG_NOSIGNAL: a client gone already is an EPIPE here, not a SIGPIPE for the process.
                let n = part[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0, errno == EINTR || errno == EAGAIN { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Whether `client` is ready for `events` before `deadline`.
    private func wait(_ client: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var item = pollfd(fd: client, events: events, revents: 0)
            let milliseconds = Int32(clamping: max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let rc = poll(&item, 1, milliseconds)
            if rc > 0 { return item.revents & (events | Int16(POLLHUP) | Int16(POLLERR)) != 0 }
            if rc < 0, errno != EINTR { return false }
        }
    }
}

/// How long the accept loop waits after a failing accept(): 10 ms, doubling to 1 s, reset by
/// the next success.
public struct AcceptBackoff: Sendable {
    public private(set) var microseconds: UInt32 = 0

    public init() {}

    public mutating func next() -> UInt32 {
        microseconds = microseconds == 0 ? 10_000 : min(microseconds * 2, 1_000_000)
        return microseconds
    }

    public mutating func reset() { microseconds = 0 }
}

public struct MetricsEndpointError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
