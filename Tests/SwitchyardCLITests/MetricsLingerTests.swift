import Foundation
import Synchronization
import Testing
import SwitchyardTestSupport

/// `run --metrics-port` with clients that hang up mid-answer, as the issue found them: the run
/// must finish with its summary (exit 0), not die of SIGPIPE, and `--metrics-linger` must keep
/// the final values up after the workload.
@Suite struct MetricsLingerTests {
    let switchyard = TestProducts.executable("switchyard")

    @Test func clientsThatHangUpDoNotKillTheRunAndTheFinalValuesLinger() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sy-linger-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: switchyard)
        process.arguments = ["run", "--model", "tiny", "--transport", "inproc", "--requests", "2", "--prompt-tokens", "4", "--new-tokens", "3",
                             "--quiet", "--out", out, "--metrics-port", "0", "--metrics-linger", "3"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The endpoint announces its port on stderr.
        var text = ""
        let lines = Mutex("")
        let deadline = ContinuousClock.now + .seconds(60)
        while !text.contains("/metrics\n"), ContinuousClock.now < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let port = try #require(text.split(separator: "\n").first { $0.hasPrefix("metrics: http://") }
            .flatMap { Int($0.split(separator: ":").last!.split(separator: "/").first!) }, "\(text)")

        // Wait for the workload to end ("serving the final values"), hanging up on the endpoint meanwhile.
        let reader = Thread {
            while let chunk = try? err.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty {
                lines.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
            }
        }
        reader.start()
        while !lines.withLock({ $0 }).contains("final values"), ContinuousClock.now < deadline {
            hangUp(port: port)
            usleep(20_000)
        }
        for _ in 0..<5 { hangUp(port: port) }
        // Hung-up connections may still hold their slots for a moment (503 then): ask again.
        var body = scrape(port: port)
        for _ in 0..<20 where !body.hasPrefix("HTTP/1.1 200") {
            usleep(100_000)
            body = scrape(port: port)
        }
        #expect(body.contains("switchyard_generated_tokens_total 6"), "the final values: \(body.prefix(300))")
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "status \(process.terminationStatus), \(text)\(lines.withLock { $0 })")
        #expect(FileManager.default.fileExists(atPath: out + "/summary.json"))
    }

    /// Sends a request and closes without reading the answer. The server, answering a closed
    /// connection, gets a reset after its first write and EPIPE on the next: SIGPIPE without MSG_NOSIGNAL.
    func hangUp(port: Int) {
        guard let fd = connectTo(port) else { return }
        _ = Array("GET /metrics HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
    }

    func scrape(port: Int) -> String {
        guard let fd = connectTo(port) else { return "" }
        defer { close(fd) }
        _ = Array("GET /metrics HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    func connectTo(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { close(fd); return nil }
        return fd
    }
}
