import Foundation

/// The environment for one mpirun a test starts: root allowed (CI runs as root), and a session
/// folder of its own, because Open MPI daemons started at the same moment by other tests race to
/// create the same folder under /tmp. The folder is removed by `remove()`.
public struct MPISession {
    public let folder: URL

    public init() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-mpi-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    public var environment: [String: String] {
        ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "TMPDIR": folder.path]
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }
}
