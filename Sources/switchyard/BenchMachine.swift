import ArgumentParser
import Foundation
import SwitchyardKernels
import SwitchyardCore

struct BenchMachine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "Measure the rates kernel benchmarks are compared with: sgemm, memory read, memcpy.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench machine [<options>]",
        discussion: """
        Example: switchyard bench machine --json bench-machine.json
        Defaults: sgemm of side 2048, buffers of 256 MiB.
        """
    )

    @Option(help: "Side of the square sgemm.") var gemmSize = 2048
    @Option(name: .customLong("buffer-mib"), help: "Size of the buffers read and copied, in MiB.") var bufferMiB = 256
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        guard gemmSize > 0, gemmSize <= 16384 else { throw ValidationError("--gemm-size must be in 1...16384, got \(gemmSize)") }
        guard bufferMiB > 0, bufferMiB <= 8192 else { throw ValidationError("--buffer-mib must be in 1...8192, got \(bufferMiB)") }
    }

    func run() throws {
        let cores = CPUFeatures.current().logicalCores
        let bytes = bufferMiB << 20
        let figures: [(String, String, Double)] = [
            ("sgemm \(gemmSize)³, 1 thread", "GFLOP/s", MachineBaseline.sgemmGFLOPS(n: gemmSize, threads: 1)),
            ("sgemm \(gemmSize)³, \(cores) threads", "GFLOP/s", MachineBaseline.sgemmGFLOPS(n: gemmSize, threads: cores)),
            ("memory read, 1 thread", "GB/s", MachineBaseline.memoryReadGBps(bytes: bytes, threads: 1)),
            ("memory read, \(cores) threads", "GB/s", MachineBaseline.memoryReadGBps(bytes: bytes, threads: cores)),
            ("memcpy \(bufferMiB) MiB", "GB/s copied", MachineBaseline.memcpyGBps(bytes: bytes)),
        ]
        let object: [[String: Any]] = figures.map { ["measure": $0.0, "unit": $0.1, "value": $0.2] }
        if try JSONOption.write(object, to: json) { return }
        print(Table(header: ["measure", "rate", "unit"],
                    rows: figures.map { [$0.0, String(format: "%.1f", $0.2), $0.1] },
                    rightAligned: [1]).render())
    }
}
