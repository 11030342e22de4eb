import SwitchyardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only: pages come in from disk only when touched, so opening a
/// 100 GB checkpoint costs nothing until a tensor's bytes are copied out.
final class MappedFile: @unchecked Sendable {
    // Immutable after init; the mapping is private and read-only, so sharing it across threads is safe.
    let path: String
    let size: Int
    private let base: UnsafeRawPointer?

    init(path: String) throws {
        self.path = path
        // A FIFO or device in a checkpoint is refused here instead of blocking in open().
        let fd: Int32
        do { fd = try RegularFile.open(path) } catch {
            let problem = error.openErrno.map { "cannot be opened: \(String(cString: strerror($0)))" } ?? error.problem
            throw CheckpointError(file: path, problem: problem)
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw CheckpointError(file: path, problem: "cannot be examined: \(String(cString: strerror(errno)))") }
        size = Int(status.st_size)
        if size == 0 {
            base = nil
            return
        }
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw CheckpointError(file: path, problem: "cannot be mapped into memory: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(pointer)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The bytes in `range`, which the caller has checked lies inside the file.
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "\(path): byte range \(range) outside the file's \(size) bytes")
        guard let base, !range.isEmpty else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
