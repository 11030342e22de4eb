import Logging
import Foundation
import SwitchyardCluster
import SwitchyardKernels
import SwitchyardModel
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire

/// `switchyard mpi-job`: one rank of a cluster started by mpirun. The coordinator's rank serves
/// the workload; every other rank is an expert host.
public enum MPIRank {
    /// The coordinator's rank and each expert host's: from the cluster file when it names MPI
    /// ranks, otherwise 0 and 1…N.
    public static func ranks(_ spec: ClusterSpec) -> (coordinator: Int, hosts: [Int]) {
        if case let .mpi(coordinator) = spec.coordinator.endpoint {
            let hosts = spec.hosts.enumerated().map { index, host -> Int in
                if case let .mpi(rank) = host.endpoint { return rank }
                return index + 1
            }
            return (coordinator, hosts)
        }
        return (0, Array(1...spec.hosts.count))
    }

    /// Runs this process's rank; the coordinator's returns what the workload left, a host's nil.
    public static func run(settings: ClusterSettings, weights: WeightChoice, workload: Workload,
                           progress: (Int, Int, Int) -> Void = { _, _, _ in }) throws -> WorkloadOutcome? {
        let settings = try settings.overMPI()
        let spec = settings.spec
        let (coordinatorRank, hostRanks) = ranks(spec)
        let world = try MPIWorld()
        defer { world.finalize() }
        guard world.size == hostRanks.count + 1 else {
            throw LaunchInputError("\(spec.file) has \(hostRanks.count) expert hosts, so mpirun needs -np \(hostRanks.count + 1), not \(world.size)")
        }
        // Collective over every rank: the ranks on this machine share its cores, so each host's kernels get their share.
        let ranksHere = try world.ranksOnThisMachine()
        let (config, source) = try weights.load()
        let placement = try spec.placement(for: config)
        if world.rank == coordinatorRank {
            let directory = try RunDirectory.create(workload.out)
            let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
            let transport = try MPICoordinatorTransport(world: world, hostRanks: hostRanks, limits: settings.wireLimits(config))
            let experts = ClusterExperts(config: config, placement: placement, payload: spec.payload, transport: transport,
                                         weightsFingerprint: source.fingerprint, limits: settings.wireLimits(config),
                                         exchangeTimeout: settings.exchangeTimeout)
            experts.logger = settings.logger
            defer {
                experts.shutdown()
                transport.close()
            }
            try experts.handshake(timeout: settings.handshakeTimeout)
            return try ClusterWorkload.run(model: model, experts: experts, spec: spec, transport: .mpi, weights: source.fingerprint,
                                           workload: workload, directory: directory, progress: progress)
        }
        guard let host = hostRanks.firstIndex(of: world.rank) else {
            throw LaunchInputError("MPI rank \(world.rank) is neither the coordinator nor an expert host of \(spec.file)")
        }
        Parallelism.limit(to: Parallelism.share(among: ranksHere))
        let transport = try MPIHostTransport(world: world, coordinatorRank: coordinatorRank, host: host, limits: settings.wireLimits(config))
        defer { transport.close() }
        // Hosts write their ledgers only into a run directory named for all ranks alike.
        let traffic = workload.out.map { RunTraffic(spec: spec, config: config, transport: .mpi, directory: URL(fileURLWithPath: $0)) }
        _ = try ExpertHost(index: host, config: config, placement: placement, source: source, transport: transport,
                           traffic: traffic, logger: settings.logger).serve()
        return nil
    }
}
