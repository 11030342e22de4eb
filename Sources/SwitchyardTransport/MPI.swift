import CMPI
import Foundation

/// A failure reported by the MPI library, or a wait that ran past its deadline.
public enum MPIError: Error, CustomStringConvertible {
    case call(String, code: Int32)
    case deadline(String, Duration)
    /// A message past MPI's 32-bit count: refused rather than trapped on.
    case tooLarge(operation: String, bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case let .call(call, code):
            var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING))
            var length: Int32 = 0
            MPI_Error_string(code, &buffer, &length)
            let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return "MPI \(call) failed: \(text) (code \(code))"
        case let .tooLarge(operation, bytes, limit):
            return "\(operation): a message of \(bytes) bytes is larger than MPI's \(limit)-byte count allows"
        case let .deadline(operation, timeout):
            return "MPI \(operation) did not finish within \(timeout)"
        }
    }
}

@inline(__always)
func check(_ call: String, _ rc: Int32) throws {
    guard rc == sy_mpi_success() else { throw MPIError.call(call, code: rc) }
}

public enum MPI {
    /// The MPI library's own version string (MPI_Get_library_version; valid before MPI_Init).
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(sy_mpi_max_library_version_string()))
        var length: Int32 = 0
        guard MPI_Get_library_version(&buffer, &length) == sy_mpi_success() else { return "unknown" }
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmingCharacters(in: .whitespaces.union(.controlCharacters)) ?? text
    }
}

/// MPI_COMM_WORLD of a process started by mpirun. Initialise once; finalize before exit.
public final class MPIWorld: @unchecked Sendable {
    public let rank: Int
    public let size: Int

    /// Initialises MPI with the thread support one communication thread needs.
    public init() throws {
        var provided: Int32 = 0
        try check("MPI_Init_thread", MPI_Init_thread(nil, nil, sy_mpi_thread_serialized(), &provided))
        // Errors come back as codes instead of aborting the job, so they can be reported.
        MPI_Comm_set_errhandler(sy_mpi_comm_world(), sy_mpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        try check("MPI_Comm_rank", MPI_Comm_rank(sy_mpi_comm_world(), &rank))
        try check("MPI_Comm_size", MPI_Comm_size(sy_mpi_comm_world(), &size))
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Ranks of this job on this machine (sharing its memory), this one included. Collective: every rank calls it.
    public func ranksOnThisMachine() throws -> Int {
        var local: MPI_Comm? = nil
        try check("MPI_Comm_split_type", MPI_Comm_split_type(sy_mpi_comm_world(), sy_mpi_comm_type_shared(), 0, sy_mpi_info_null(), &local))
        defer { MPI_Comm_free(&local) }
        var size: Int32 = 0
        try check("MPI_Comm_size", MPI_Comm_size(local, &size))
        return Int(size)
    }

    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Elementwise sum over all ranks; every rank gets the result.
    public func allreduceSum(_ values: [Double]) throws -> [Double] {
        var result = [Double](repeating: 0, count: values.count)
        try values.withUnsafeBufferPointer { source in
            try result.withUnsafeMutableBufferPointer { target in
                try check("MPI_Allreduce", MPI_Allreduce(
                    source.baseAddress, target.baseAddress, Int32(values.count),
                    sy_mpi_double(), sy_mpi_op_sum(), sy_mpi_comm_world()))
            }
        }
        return result
    }

    /// Starts a non-blocking send. The buffer must stay alive and unchanged until the request completes.
    /// MPI counts are 32-bit: a message must fit `Int32.max` bytes.
    public static let largestMessageBytes = Int(Int32.max)

    public func startSend(_ bytes: UnsafeRawBufferPointer, to destination: Int, tag: Int) throws -> MPIRequest {
        guard bytes.count <= Self.largestMessageBytes else {
            throw MPIError.tooLarge(operation: "MPI_Isend", bytes: bytes.count, limit: Self.largestMessageBytes)
        }
        var request: MPI_Request? = sy_mpi_request_null()
        try check("MPI_Isend", MPI_Isend(bytes.baseAddress, Int32(bytes.count), sy_mpi_byte(),
                                         Int32(destination), Int32(tag), sy_mpi_comm_world(), &request))
        return MPIRequest(request)
    }

    /// Starts a non-blocking receive into `buffer`.
    public func startReceive(into buffer: UnsafeMutableRawBufferPointer, from source: Int, tag: Int) throws -> MPIRequest {
        guard buffer.count <= Self.largestMessageBytes else {
            throw MPIError.tooLarge(operation: "MPI_Irecv", bytes: buffer.count, limit: Self.largestMessageBytes)
        }
        var request: MPI_Request? = sy_mpi_request_null()
        try check("MPI_Irecv", MPI_Irecv(buffer.baseAddress, Int32(buffer.count), sy_mpi_byte(),
                                         Int32(source), Int32(tag), sy_mpi_comm_world(), &request))
        return MPIRequest(request)
    }

    /// Checks without blocking whether a message from `source` (or any source when nil) is waiting,
    /// and returns its source, tag and size in bytes.
    public func probe(source: Int? = nil, tag: Int? = nil) throws -> (source: Int, tag: Int, count: Int)? {
        var flag: Int32 = 0
        var status = MPI_Status()
        try check("MPI_Iprobe", MPI_Iprobe(Int32(source ?? Int(sy_mpi_any_source())), Int32(tag ?? Int(sy_mpi_any_tag())),
                                           sy_mpi_comm_world(), &flag, &status))
        guard flag != 0 else { return nil }
        var count: Int32 = 0
        try check("MPI_Get_count", MPI_Get_count(&status, sy_mpi_byte(), &count))
        return (Int(sy_mpi_status_source(&status)), Int(sy_mpi_status_tag(&status)), Int(count))
    }

    public func barrier() throws {
        try check("MPI_Barrier", MPI_Barrier(sy_mpi_comm_world()))
    }
}

/// One outstanding non-blocking operation.
public final class MPIRequest: @unchecked Sendable {
    private var request: MPI_Request?

    init(_ request: MPI_Request?) { self.request = request }

    /// Whether the operation has finished; never blocks.
    public func test() throws -> Bool {
        var flag: Int32 = 0
        try check("MPI_Test", MPI_Test(&request, &flag, sy_mpi_status_ignore()))
        return flag != 0
    }

    /// Polls until the operation finishes or the deadline passes.
    public func wait(timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while try !test() {
            if ContinuousClock.now >= deadline {
                MPI_Cancel(&request)
                throw MPIError.deadline("request", timeout)
            }
            sched_yield()
        }
    }
}
