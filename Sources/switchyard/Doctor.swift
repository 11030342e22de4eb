import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardKernels
import SwitchyardTransport

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the native libraries and the CPU this machine gives Switchyard.",
        discussion: """
        Prints libzmq's version, the MPI library's version, OpenBLAS's configuration
        and thread count, the CPU's cores and SIMD features, the kernel path in use
        (forced with SWITCHYARD_KERNELS=portable|avx2|avx512|avx512bf16) and whether
        mpirun is on the PATH. Exits 1 naming what is missing, 2 when
        SWITCHYARD_KERNELS asks for a path this CPU cannot run.

        Example: switchyard doctor
        """
    )

    func run() throws {
        let cpu = CPUFeatures.current()
        let kernels: KernelPath
        do { kernels = try KernelPath.fromEnvironment() } catch {
            FileHandle.standardError.write(Data("switchyard doctor: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let forced = ProcessInfo.processInfo.environment[KernelPath.environmentVariable].map { !$0.isEmpty } ?? false
        let mpirun = Executables.find("mpirun")
        let rows: [(String, String)] = [
            ("libzmq", ZeroMQ.version),
            ("MPI library", MPI.libraryVersion),
            ("OpenBLAS", BLAS.configuration),
            ("OpenBLAS kernels", "\(BLAS.core) (\(BLAS.coreOrigin))"),
            ("OpenBLAS threads", String(BLAS.threadCount)),
            ("CPU", cpu.modelName),
            ("CPU cores", String(cpu.logicalCores)),
            ("SIMD", cpu.simd.isEmpty ? "none found" : cpu.simd.joined(separator: " ")),
            ("kernel path", "\(kernels.rawValue) (\(forced ? "set by \(KernelPath.environmentVariable)" : "best for this CPU"); "
                + "runs \(KernelPath.supported.map(\.rawValue).joined(separator: ", ")))"),
            ("one-token products", kernels.isAVX512 ? (Linear.oneTokenByRows ? "a row at a time (this CPU's vendor)" : "blocks of rows, the next prefetched")
                : "the \(kernels.rawValue) path's own order"),
            ("fp8 weights", kernels.fp8Decode),
            ("mpirun", mpirun ?? "not found"),
        ]
        print(Table(header: ["component", "found"], rows: rows.map { [$0.0, $0.1] }).render())

        var missing: [String] = []
        if mpirun == nil { missing.append("mpirun is not on the PATH (install openmpi-bin, or run `make deps`)") }
        if !missing.isEmpty {
            for line in missing { FileHandle.standardError.write(Data("switchyard doctor: \(line)\n".utf8)) }
            throw ExitCode(1)
        }
    }
}
