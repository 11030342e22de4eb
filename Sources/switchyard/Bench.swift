import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure this machine and Switchyard's kernels, as ratios taken in one run.",
        subcommands: [BenchMachine.self, BenchExperts.self, BenchModel.self, BenchSimulator.self, BenchAlltoall.self, BenchAlltoallHost.self, BenchFaults.self, BenchOverlap.self, BenchServe.self, BenchPayload.self]
    )
}
