import ArgumentParser
import Foundation
import SwitchyardLaunch

struct MPIJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-job",
        abstract: "One rank of a cluster started by mpirun: the coordinator's rank serves the workload, the others host experts.",
        discussion: """
        `switchyard run --launcher mpirun` builds this command line; run it yourself to
        pass mpirun options of your own. Ranks follow the cluster file (MPI ranks), or
        the coordinator is rank 0 and expert host K is rank K+1.

        Example: mpirun -np 9 switchyard mpi-job \\
                   --cluster cluster/local-dgx-b200.json --model mini
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var workload: WorkloadOptions

    func run() throws {
        var text = WorkloadText(workload.workload)
        let outcome = try MPIRank.run(settings: try cluster.sized(for: workload).settings(), weights: weights.choice, workload: workload.workload,
                                                      progress: { text.progress(steps: $0, tokens: $1, bytes: $2) })
        if let outcome { text.finish(outcome) }
    }
}
