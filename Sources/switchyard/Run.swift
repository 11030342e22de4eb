import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardModel

struct Run: ParsableCommand {
    enum Launcher: String, ExpressibleByArgument, CaseIterable { case local, mpirun }

    static let configuration = CommandConfiguration(
        abstract: "Start a cluster's expert hosts, serve a workload through them, print and save a summary.",
        discussion: """
        The local launcher starts each expert host of the cluster file as a child process (ZeroMQ) or
        a thread (inproc), waits for every handshake, serves --requests requests of --prompt-tokens
        tokens generating --new-tokens each, prints tokens/s, step latency p50/p99 and bytes per layer,
        writes summary.json into the run directory, and stops every host, also on Ctrl-C or SIGTERM.
        --launcher mpirun (or an MPI cluster file, or --transport mpi) builds the mpirun command line,
        prints it and runs it: rank 0 coordinates, ranks 1…N host experts.

        Example: switchyard run
                 switchyard run --cluster cluster/local-hgx-h100x4.json --model mini --requests 16
                 switchyard run --launcher mpirun --cluster cluster/local-dgx-b200.json
        Defaults: cluster/local-dgx-b200.json, its transport, --model mini, 8 requests of 16 prompt
        tokens, 16 new tokens each, batches of up to 8, run directory runs/<timestamp>.
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "How to start the roles: local or mpirun.") var launcher: Launcher = .local

    func run() throws {
        let cluster = self.cluster.sized(for: workload)
        let spec = try cluster.spec()
        let kind = cluster.transport ?? spec.transport
        // One run directory for every process of the run, hosts included: decided here, passed down.
        var workload = self.workload
        let directory = try ClusterWorkload.runDirectory(workload.out)
        workload.out = directory.path
        if launcher == .mpirun || kind == .mpi {
            guard kind != .inproc else { throw ValidationError("--launcher mpirun needs the mpi transport, not inproc") }
            try MPILaunch(spec: spec, cluster: cluster, weights: weights, workload: workload).run()
            try TrafficRun.render(directory)
            return
        }
        let (config, source) = try weights.source()
        try weights.checkMemory(config, localExperts: 0)
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let faults = try workload.faults(hosts: spec.hosts.count)
        let coordinator = try CoordinatorCluster.launch(spec: spec, options: cluster, weights: weights, config: config, source: source,
                                                        trafficDirectory: directory, faults: faults)
        let injector = coordinator.processes.map { FaultInjector(faults: faults, processes: $0) }
        do {
            try ClusterWorkload.run(model: model, experts: coordinator.experts, spec: spec, transport: coordinator.transportName,
                                    payload: spec.payload.rawValue, weights: source.fingerprint, workload: workload, faults: injector)
        } catch {
            coordinator.stop()
            throw error
        }
        // The hosts write their own records as they stop; the report then has both ends' times.
        coordinator.stop()
        try TrafficRun.render(directory)
    }
}
