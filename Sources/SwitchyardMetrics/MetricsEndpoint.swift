import Foundation

/// A minimal HTTP/1.1 responder for Prometheus scrapes: one listening socket on its own thread,
/// one request per connection, `GET /metrics` answered with the text exposition format,
/// anything else 404. Binds 127.0.0.1 unless told otherwise.
public final class MetricsEndpoint: @unchecked Sendable {
    public let port: Int
    private let socket: Int32
    private let body: @Sendable () -> String
    private let lock = NSLock()
    private var stopped = false

    /// Listens at once (port 0: any free port, see `port`) and serves until `stop`.
    public init(address: String = "127.0.0.1", port: Int, body: @escaping @Sendable () -> String) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
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
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw MetricsEndpointError("--metrics-port \(port): cannot listen on \(address):\(port): \(String(cString: strerror(code)))")
        }
        var actual = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        socket = fd
        self.body = body
        let thread = Thread { [self] in serve() }
        thread.name = "metrics-endpoint"
        thread.start()
    }

    public func stop() {
        lock.withLock { stopped = true }
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    private func serve() {
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
        // Read the request head only; scrapes have no body.
        while request.count < 16384, !request.ends(with: [13, 10, 13, 10]) {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            request += buffer[0..<n]
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let (status, type, text): (String, String, String)
        if line.count >= 2, line[0] == "GET", line[1] == "/metrics" || line[1].hasPrefix("/metrics?") {
            (status, type, text) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", body())
        } else {
            (status, type, text) = ("404 Not Found", "text/plain; charset=utf-8", "switchyard serves GET /metrics\n")
        }
        let payload = Array(text.utf8)
        let head = Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n".utf8)
        for part in [head, payload] {
            var offset = 0
            while offset < part.count {
                let n = part[offset...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

public struct MetricsEndpointError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
