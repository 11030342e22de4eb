import Foundation
import SwitchyardTestSupport

/// tcpdump on one node of a `NamespaceNetwork`, writing every TCP packet of its interface to a
/// pcap file; `stop()` ends it and returns the file's bytes. `make deps` installs tcpdump.
final class PacketCapture {
    /// tcpdump, or why the capture cannot run.
    static let tcpdump: String? = Executables.find("tcpdump", also: ["/usr/sbin", "/usr/bin", "/sbin"])

    let file: String
    private let process: Process

    init(network: NamespaceNetwork, node: String, file: String, tcpdump: String) throws {
        self.file = file
        process = Process()
        process.executableURL = URL(fileURLWithPath: network.ip)
        // -U: each packet written as it comes, so nothing waits in a buffer when it stops; -s 0: whole packets.
        process.arguments = network.exec(in: node, [tcpdump, "-i", NamespaceNetwork.interface, "-U", "-s", "0", "-w", file, "tcp"])
        process.standardOutput = FileHandle.nullDevice
        let log = Pipe()
        process.standardError = log
        try process.run()
        // tcpdump says "listening on" once the capture is open.
        let deadline = ContinuousClock.now + .seconds(10)
        var said = ""
        while !said.contains("listening on"), process.isRunning, ContinuousClock.now < deadline {
            said += String(decoding: log.fileHandleForReading.availableData, as: UTF8.self)
        }
        guard said.contains("listening on") else { throw NamespaceNetworkError(description: "tcpdump did not start: \(said)") }
    }

    /// Ends the capture and returns what it wrote. tcpdump notices SIGTERM only when the next
    /// packet arrives, and none may; with -U every packet is already in the file, so it is then killed.
    func stop() throws -> [UInt8] {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(1)
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    }

    /// Where `pattern` occurs in `bytes`.
    static func occurrences(of pattern: [UInt8], in bytes: [UInt8]) -> [Int] {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return [] }
        return (0...(bytes.count - pattern.count)).filter { start in
            bytes[start] == pattern[0] && bytes[start..<start + pattern.count].elementsEqual(pattern)
        }
    }

    /// The TCP payload bytes of each connection and direction in a pcap file (Ethernet, IPv4), in
    /// capture order: what each side of a ZeroMQ link wrote, as one stream.
    static func tcpStreams(_ pcap: [UInt8]) -> [[UInt8]] {
        func u16be(_ at: Int) -> Int { Int(pcap[at]) << 8 | Int(pcap[at + 1]) }
        func u32le(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(pcap[at + $1]) << (8 * $1) } }
        guard pcap.count >= 24, u32le(0) == 0xA1B2C3D4 || u32le(0) == 0xA1B23C4D, u32le(20) == 1 else { return [] }
        var streams: [[UInt8]: [UInt8]] = [:], order: [[UInt8]] = []
        var record = 24
        while record + 16 <= pcap.count {
            let length = u32le(record + 8), packet = record + 16
            record = packet + length
            guard record <= pcap.count, length >= 14 + 20, u16be(packet + 12) == 0x0800 else { continue }
            let ip = packet + 14
            let ipHeader = Int(pcap[ip] & 0x0F) * 4, total = u16be(ip + 2)
            guard pcap[ip + 9] == 6, ip + total <= record, total >= ipHeader + 20 else { continue }
            let tcp = ip + ipHeader
            let tcpHeader = Int(pcap[tcp + 12] >> 4) * 4
            guard ip + total >= tcp + tcpHeader else { continue }
            let flow = Array(pcap[ip + 12..<ip + 20]) + Array(pcap[tcp..<tcp + 4])
            if streams[flow] == nil { order.append(flow) }
            streams[flow, default: []] += pcap[tcp + tcpHeader..<ip + total]
        }
        return order.map { streams[$0]! }
    }

    /// Activations as they crossed in clear: in every stream, each dispatch frame ("SWYD", version
    /// 2, kind 3, f32) as ZeroMQ frames it (a flags byte, then a 1- or 8-byte size, per part), and
    /// the first 32 bytes of its payload part.
    static func dispatchActivations(in streams: [[UInt8]]) -> [[UInt8]] {
        // "SWYD", wire version 3, a dispatch (kind 3) of f32 activations (payload type 1).
        let magic: [UInt8] = [0x53, 0x57, 0x59, 0x44, 3, 0, 3, 1]
        return streams.flatMap { stream in
            occurrences(of: magic, in: stream).compactMap { start -> [UInt8]? in
                guard start + 64 <= stream.count else { return nil }
                let metadata = (0..<4).reduce(0) { $0 | Int(stream[start + 40 + $1]) << (8 * $1) }
                // Skips a ZMTP frame header (flags, then a long or short size) at `at`.
                func body(_ at: Int) -> Int? {
                    guard at < stream.count else { return nil }
                    return stream[at] & 0x02 != 0 ? at + 9 : at + 2
                }
                guard let metadataStart = body(start + 64), let payload = body(metadataStart + metadata), payload + 32 <= stream.count else { return nil }
                return Array(stream[payload..<payload + 32])
            }
        }
    }
}
