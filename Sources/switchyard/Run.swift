import ArgumentParser
import Foundation
import SwitchyardLaunch

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a cluster's expert hosts, serve a workload through them, print and save a summary.",
        discussion: """
        The local launcher starts each expert host of the cluster file as a child
        process (ZeroMQ) or a thread (inproc), waits for every handshake, serves
        --requests requests of --prompt-tokens tokens generating --new-tokens each,
        prints tokens/s, step latency p50/p99 and bytes per layer, writes
        summary.json into the run directory, and stops every host, also on Ctrl-C or
        SIGTERM. --launcher mpirun (or an MPI cluster file, or --transport mpi)
        builds the mpirun command line, prints it and runs it: rank 0 coordinates,
        ranks 1…N host experts.

        Example: switchyard run
                 switchyard run --cluster cluster/local-hgx-h100x4.json --requests 16
                 switchyard run --launcher mpirun --cluster cluster/local-dgx-b200.json
        Defaults: cluster/local-dgx-b200.json, its transport, --model mini, 8 requests
        of 16 prompt tokens, 16 new tokens each, batches of up to 8, run directory
        runs/<timestamp>.
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "How to start the roles: local or mpirun.") var launcher: ClusterRun.Launcher = .local

    func run() throws {
        let settings = try cluster.sized(for: workload).settings()
        var text = WorkloadText(workload.workload)
        let outcome = try ClusterRun.run(settings: settings, weights: weights.choice, workload: workload.workload, launcher: launcher,
                                         announce: { print($0); fflush(nil) },
                                         progress: { text.progress(steps: $0, tokens: $1, bytes: $2) })
        // Under mpirun the coordinator's rank printed the summary itself.
        if !ClusterRun.usesMPI(settings, launcher: launcher) { text.finish(outcome) }
    }
}

extension ClusterRun.Launcher: ExpressibleByArgument {}
