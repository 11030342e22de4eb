import ArgumentParser
import Foundation
import SwitchyardCluster

/// The mpirun command line for a cluster: one rank for the coordinator and one per expert host,
/// each running `switchyard mpi-job`.
struct MPILaunch {
    let spec: ClusterSpec
    let cluster: ClusterOptions
    let weights: WeightsOptions
    let workload: WorkloadOptions

    var commandLine: [String] {
        get throws {
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            return Self.mpirun(ranks: spec.hosts.count + 1, hostfile: spec.hostfilePath) + [executable, "mpi-job", "--cluster", cluster.cluster,
                           "--handshake-timeout", String(cluster.handshakeTimeout), "--exchange-timeout", String(cluster.exchangeTimeout)]
                + weights.arguments + workload.arguments
        }
    }

    /// `mpirun -np RANKS` and its options: a hostfile, or every rank on this machine.
    static func mpirun(ranks: Int, hostfile: String?) -> [String] {
        var line = ["mpirun", "-np", String(ranks)]
        if getuid() == 0 { line.append("--allow-run-as-root") }
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

    func run() throws {
        let line = try commandLine
        print(line.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " "))
        fflush(nil)
        try Self.execute(line)
    }

    /// Runs an mpirun command line to its end, stopping it with this process on Ctrl-C or SIGTERM.
    static func execute(_ line: [String]) throws {
        guard let mpirun = Executables.find("mpirun") else {
            throw ValidationError("mpirun is not on the PATH (install openmpi-bin, or run `make deps`)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = Array(line.dropFirst())
        try process.run()
        SignalGuard.shared.track(process.processIdentifier)
        process.waitUntilExit()
        SignalGuard.shared.untrack(process.processIdentifier)
        guard process.terminationStatus == 0 else {
            throw ClusterLaunchFailure(description: "mpirun exited with status \(process.terminationStatus)")
        }
    }
}

struct ClusterLaunchFailure: Error, CustomStringConvertible {
    var description: String
}
