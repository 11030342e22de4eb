#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Opening input files only when they are regular files: a FIFO, socket or device named where a
/// config, index or shard belongs is refused at once instead of blocking in open() or read().
public enum RegularFile {
    /// A read-only descriptor of the regular file at `path`; the caller closes it.
    /// O_NONBLOCK keeps open() of a FIFO from waiting for a writer; it is cleared once fstat
    /// has shown a regular file, where it changes nothing anyway.
    public static func open(_ path: String) throws(RegularFileError) -> Int32 {
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #else
        let fd = Darwin.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #endif
        guard fd >= 0 else {
            let code = errno
            throw RegularFileError(path: path, problem: "cannot be read: \(String(cString: strerror(code)))", openErrno: code)
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            close(fd)
            throw RegularFileError(path: path, problem: "cannot be examined: \(String(cString: strerror(code)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw RegularFileError(path: path, problem: "is not a regular file (\(kind(status.st_mode)))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// The whole regular file at `path`, refused when it is larger than `limit` bytes.
    public static func contents(_ path: String, limit: Int) throws(RegularFileError) -> Data {
        let fd = try open(path)
        defer { close(fd) }
        var status = stat()
        _ = fstat(fd, &status)
        let size = Int(status.st_size)
        guard size <= limit else {
            throw RegularFileError(path: path, problem: "is \(size) bytes, more than the \(limit) bytes allowed for this kind of file")
        }
        var data = Data(count: size)
        var offset = 0
        while offset < size {
            let n = data.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, size - offset) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { break }   // the file shrank while being read: take what is there
                throw RegularFileError(path: path, problem: "cannot be read: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        return data.prefix(offset)
    }

    /// Whether `path` names a regular file (following symbolic links), without opening it.
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "not a plain file"
        }
    }
}

/// An input file that cannot be used: the path and what is wrong with it.
public struct RegularFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var problem: String
    /// Set when open() itself failed (a missing file, say), for callers that word that apart.
    public var openErrno: Int32?

    public init(path: String, problem: String, openErrno: Int32? = nil) {
        self.path = path
        self.problem = problem
        self.openErrno = openErrno
    }

    public var description: String { "\(path): \(problem)" }
}
