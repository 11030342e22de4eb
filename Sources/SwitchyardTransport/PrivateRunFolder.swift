import Foundation

/// A folder only this user can enter (mode 0700), made fresh for one run: its ipc sockets and
/// ephemeral keys live there, under $XDG_RUNTIME_DIR/switchyard or /tmp/switchyard-UID.
public final class PrivateRunFolder: @unchecked Sendable {
    public let path: String

    /// Makes `run-XXXXXX` under the user's base folder, which is made 0700 if missing and refused
    /// if someone else owns it, others may enter it, or it is a link (another user could have
    /// planted it in /tmp).
    public init(base: String? = nil) throws(TransportError) {
        let base = base ?? Self.defaultBase
        if mkdir(base, 0o700) != 0, errno != EEXIST {
            throw TransportError("cannot create \(base): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard lstat(base, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { throw TransportError("\(base) is not a folder (a link?); remove it") }
        guard status.st_uid == geteuid() else { throw TransportError("\(base) belongs to uid \(status.st_uid), not to this user; remove it") }
        guard status.st_mode & 0o077 == 0 else { throw TransportError("others may enter \(base) (mode \(String(status.st_mode & 0o777, radix: 8))): chmod 700 it") }
        var template = Array((base + "/run-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TransportError("cannot create a run folder in \(base): \(String(cString: strerror(errno)))") }
        path = String(cString: made)
    }

    /// $XDG_RUNTIME_DIR/switchyard when the session has one (a tmpfs only this user can enter), else /tmp/switchyard-UID.
    public static var defaultBase: String {
        if let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !runtime.isEmpty,
           FileManager.default.isWritableFile(atPath: runtime) {
            return runtime + "/switchyard"
        }
        return "/tmp/switchyard-\(geteuid())"
    }

    /// Removes the folder and what is in it.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
