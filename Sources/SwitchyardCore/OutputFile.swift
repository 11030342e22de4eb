#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writing what a command was asked to write (an output file, a run, report or checkpoint
/// directory): a failure is a `FileWriteError` naming the path and the reason in words.
public enum OutputFile {
    /// Writes `data` to `path`, replacing what was there.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws(FileWriteError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileWriteError(path: path, errno: errno) }
        defer { close(fd) }
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + offset, data.count - offset) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw FileWriteError(path: path, errno: errno) }
            offset += n
        }
    }

    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(FileWriteError) {
        try write(Data(text.utf8), to: path, mode: mode)
    }

    /// Creates the directory `path` and any missing parents (`mkdir -p`); one already there is fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(FileWriteError) {
        var built = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            built += (built.isEmpty || built.hasSuffix("/") ? "" : "/") + part
            guard mkdir(built, mode) != 0 else { continue }
            let code = errno
            var status = stat()
            if code == EEXIST, stat(built, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else { throw FileWriteError(path: path, reason: "\(built) is not a directory") }
                continue
            }
            throw FileWriteError(path: path, errno: code)
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif

/// A file or directory that could not be written: "cannot write PATH: REASON". The command line
/// exits 2, since the path was the user's choice.
public struct FileWriteError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public init(path: String, errno code: Int32) {
        self.init(path: path, reason: Self.reason(code))
    }

    public var description: String { "cannot write \(path): \(reason)" }

    /// An errno from open, mkdir or write in a few plain words.
    public static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such directory"
        case ENOTDIR: "a part of the path is not a directory"
        case EACCES, EPERM: "permission denied"
        case EISDIR: "it is a directory"
        case EEXIST: "it already exists"
        case EROFS: "read-only file system"
        case ENOSPC, EDQUOT: "no space left on the device"
        case ENAMETOOLONG: "the name is too long"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
