import Foundation

/// The socket file of an `ipc://PATH` endpoint. libzmq's bind unlinks whatever is at PATH, so a
/// second host bound there would silently take a live host's socket; this checks first.
public enum IPCSocketFile {
    /// The path of an `ipc://` endpoint, or nil for another kind.
    public static func path(of endpoint: String) -> String? {
        endpoint.hasPrefix("ipc://") ? String(endpoint.dropFirst("ipc://".count)) : nil
    }

    /// Makes `path` free for a bind: its folder exists; a socket file nobody listens on (left by
    /// a dead run) is removed; a socket someone still listens on, or anything that is not a
    /// socket, is refused.
    public static func prepare(_ path: String) throws(TransportError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw TransportError("\(path) exists and is not a socket; refusing to replace it")
        }
        if isListening(path) {
            throw TransportError("another process is listening at ipc://\(path) (another run of this cluster file?); refusing to take over its socket")
        }
        unlink(path)
    }

    /// Whether a connect to the Unix socket at `path` succeeds: someone has it bound and listening.
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }
}
