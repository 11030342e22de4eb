import Foundation
import Testing
@testable import SwitchyardTransport

/// A host never takes over an ipc socket someone still listens on; a dead run's file is replaced.
@Suite struct IPCSocketFileTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sy-ipc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aLiveSocketIsRefusedAndAStaleOneReplaced() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let endpoint = "ipc://\(folder)/host-0"
        let first = try ZeroMQHostTransport(endpoint: endpoint, host: 0)
        var refusal = ""
        do { _ = try ZeroMQHostTransport(endpoint: endpoint, host: 1) } catch { refusal = "\(error)" }
        #expect(refusal.contains("another process is listening at \(endpoint)"), "\(refusal)")
        // The first host still owns its socket: a client reaches it.
        #expect(IPCSocketFile.isListening(folder + "/host-0"))

        // A socket file whose listener died (bound, then closed without unlinking) is stale.
        first.close()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array((folder + "/host-0").utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        close(fd)
        #expect(FileManager.default.fileExists(atPath: folder + "/host-0") && !IPCSocketFile.isListening(folder + "/host-0"))
        let second = try ZeroMQHostTransport(endpoint: endpoint, host: 1)
        #expect(IPCSocketFile.isListening(folder + "/host-0"))
        second.close()

        // Something that is not a socket is never replaced.
        try Data("notes".utf8).write(to: URL(fileURLWithPath: folder + "/host-0"))
        var notSocket = ""
        do { _ = try ZeroMQHostTransport(endpoint: endpoint, host: 1) } catch { notSocket = "\(error)" }
        #expect(notSocket.contains("is not a socket"), "\(notSocket)")
        #expect(try String(contentsOfFile: folder + "/host-0", encoding: .utf8) == "notes")
    }

    @Test func aRunFolderIsPrivateAndItsBaseMustBeOurs() throws {
        let base = try folder() + "/base"
        defer { try? FileManager.default.removeItem(atPath: (base as NSString).deletingLastPathComponent) }
        let one = try PrivateRunFolder(base: base), two = try PrivateRunFolder(base: base)
        #expect(one.path != two.path)
        for path in [base, one.path] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(mode & 0o777 == 0o700, "\(path): mode \(String(mode, radix: 8))")
        }
        one.remove()
        #expect(!FileManager.default.fileExists(atPath: one.path))
        // A base others may enter (as one planted in /tmp would be) is refused.
        chmod(base, 0o755)
        var refusal = ""
        do { _ = try PrivateRunFolder(base: base) } catch { refusal = "\(error)" }
        #expect(refusal.contains("others may enter"), "\(refusal)")
    }
}
