import Foundation
import Testing
import SwitchyardMetrics

/// The metrics endpoint against misbehaving clients, over real sockets on 127.0.0.1.
@Suite struct MetricsEndpointTests {
    /// A connected TCP socket to the endpoint.
    func connectTo(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(connected == 0)
        return fd
    }

    func scrape(_ port: Int) throws -> String {
        let fd = try connectTo(port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test func clientsThatCloseEarlyDoNotHurtTheProcessOrLaterScrapes() throws {
        // A body of 8 MiB cannot fit in the socket buffers: the responder is still sending when
        // the client resets the connection, which without MSG_NOSIGNAL raises SIGPIPE.
        let big = String(repeating: "switchyard_filler 1\n", count: 8 << 20 / 20)
        let endpoint = try MetricsEndpoint(port: 0) { big }
        defer { endpoint.stop() }
        for attempt in 0..<10 {
            let fd = try connectTo(endpoint.port)
            let request = Array("GET /metrics HTTP/1.1\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if attempt % 2 == 1 {
                // After a while, and with a reset (SO_LINGER 0) rather than a plain close.
                usleep(20_000)
                var reset = linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
            }
            // A plain close at once: the server's first write draws a reset, its next one EPIPE.
            close(fd)
        }
        // Connect-and-close without a request, too.
        close(try connectTo(endpoint.port))
        let response = try scrape(endpoint.port)
        #expect(response.hasPrefix("HTTP/1.1 200 OK"))
        #expect(response.utf8.count > 8 << 20)
    }

    @Test func aSilentClientDoesNotBlockOtherScrapes() throws {
        let endpoint = try MetricsEndpoint(port: 0, connectionDeadline: .seconds(3)) { "switchyard_up 1\n" }
        defer { endpoint.stop() }
        // Two clients that connect and never send a request (a slowloris), and one that sends half.
        let silent = try [connectTo(endpoint.port), connectTo(endpoint.port)]
        let half = try connectTo(endpoint.port)
        _ = Array("GET /met".utf8).withUnsafeBytes { send(half, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        defer { (silent + [half]).forEach { close($0) } }
        let start = ContinuousClock.now
        let response = try scrape(endpoint.port)
        let took = ContinuousClock.now - start
        #expect(response.hasSuffix("switchyard_up 1\n"))
        #expect(took < .seconds(1), "a scrape waited \(took) behind silent clients")
    }

    @Test func aSilentClientIsDroppedAtItsDeadline() throws {
        let endpoint = try MetricsEndpoint(port: 0, connectionDeadline: .milliseconds(300)) { "switchyard_up 1\n" }
        defer { endpoint.stop() }
        let fd = try connectTo(endpoint.port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = ContinuousClock.now
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        #expect(n == 0, "the server closes the connection (end of stream), it does not answer")
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(endpoint.activeConnections == 0)
    }

    @Test func acceptFailuresBackOffDoublingToOneSecondAndResetOnSuccess() {
        var backoff = AcceptBackoff()
        let waits = (0..<10).map { _ in backoff.next() }
        #expect(waits == [10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_000_000, 1_000_000, 1_000_000])
        backoff.reset()
        #expect(backoff.next() == 10_000)
    }

    @Test func lingerServesUntilItsTimeThenStops() throws {
        let endpoint = try MetricsEndpoint(port: 0) { "switchyard_up 1\n" }
        let port = endpoint.port
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            endpoint.linger(for: .milliseconds(800))
            done.signal()
        }
        #expect(try scrape(port).hasSuffix("switchyard_up 1\n"), "still serving while it lingers")
        #expect(done.wait(timeout: .now() + 5) == .success)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected != 0, "nothing listens after the linger")
    }
}
