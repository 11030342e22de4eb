import Foundation
import SwitchyardCluster

/// The mpirun command line for a cluster: one rank for the coordinator and one per expert host,
/// each running `switchyard mpi-job`; and running such a line to its end.
public struct MPILaunch: Sendable {
    public var settings: ClusterSettings
    public var weights: WeightChoice
    public var workload: Workload
    /// The switchyard executable the ranks run.
    public var executable: String

    public init(settings: ClusterSettings, weights: WeightChoice, workload: Workload, executable: String) {
        self.settings = settings
        self.weights = weights
        self.workload = workload
        self.executable = executable
    }

    public var commandLine: [String] {
        Self.mpirun(ranks: settings.spec.hosts.count + 1, hostfile: settings.spec.hostfilePath)
            + [executable, "mpi-job"] + settings.jobArguments + weights.arguments + workload.arguments
    }

    /// `mpirun -np RANKS` and its options: a hostfile, or every rank on this machine.
    public static func mpirun(ranks: Int, hostfile: String?, asRoot: Bool = getuid() == 0) -> [String] {
        var line = ["mpirun", "-np", String(ranks)]
        if asRoot { line.append("--allow-run-as-root") }
        if let hostfile {
            // Fill each machine's slots in order: rank 0 (the coordinator) on the first line's machine.
            line += ["--hostfile", hostfile, "--map-by", "slot"]
        } else {
            // All ranks on this machine: more ranks than cores, shared memory and loopback only.
            line += ["--oversubscribe", "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo",
                     "--mca", "oob_tcp_if_include", "lo", "--mca", "btl_vader_single_copy_mechanism", "none"]
        }
        return line
    }

    /// The line as a shell would take it, for printing.
    public static func shellText(_ line: [String]) -> String {
        line.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    /// Runs an mpirun command line to its end, stopping it with this process on Ctrl-C or SIGTERM.
    public static func execute(_ line: [String]) throws {
        guard let mpirun = Executables.find(line[0]) else {
            throw LaunchInputError("\(line[0]) is not on the PATH (install openmpi-bin, or run `make deps`)")
        }
        SignalGuard.shared.install()
        let process = try ChildProcess(executable: mpirun, arguments: Array(line.dropFirst()))
        SignalGuard.shared.track(process.pid)
        let end = process.wait()
        SignalGuard.shared.untrack(process.pid)
        guard end == .exited(0) else { throw LaunchFailure("mpirun \(end)") }
    }
}
