import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire

struct MPIJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-job",
        abstract: "One rank of a cluster started by mpirun: the coordinator's rank serves the workload, the others host experts.",
        discussion: """
        `switchyard run --launcher mpirun` builds this command line; run it yourself to pass mpirun
        options of your own. Ranks follow the cluster file (MPI ranks), or the coordinator is rank 0
        and expert host K is rank K+1.

        Example: mpirun -np 9 switchyard mpi-job --cluster cluster/local-dgx-b200.json --model mini
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var workload: WorkloadOptions

    func run() throws {
        let spec = try cluster.spec()
        let (coordinatorRank, hostRanks) = Self.ranks(spec)
        let world = try MPIWorld()
        defer { world.finalize() }
        guard world.size == hostRanks.count + 1 else {
            throw ValidationError("\(spec.file) has \(hostRanks.count) expert hosts, so mpirun needs -np \(hostRanks.count + 1), not \(world.size)")
        }
        let (config, source) = try weights.source()
        let placement = try spec.placement(for: config)
        let limits = cluster.sized(for: workload).wireLimits(config)
        if world.rank == coordinatorRank {
            let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
            let transport = try MPICoordinatorTransport(world: world, hostRanks: hostRanks)
            let experts = ClusterExperts(config: config, placement: placement, payload: spec.payload, transport: transport,
                                         weightsFingerprint: source.fingerprint, limits: limits,
                                         exchangeTimeout: .seconds(cluster.exchangeTimeout))
            defer {
                experts.shutdown()
                transport.close()
            }
            try experts.handshake(timeout: .seconds(cluster.handshakeTimeout))
            try ClusterWorkload.run(model: model, experts: experts, spec: spec, transport: "mpi", payload: spec.payload.rawValue,
                                    weights: source.fingerprint, workload: workload)
        } else {
            guard let host = hostRanks.firstIndex(of: world.rank) else {
                throw ValidationError("MPI rank \(world.rank) is neither the coordinator nor an expert host of \(spec.file)")
            }
            let slice = try RoutedExpertWeights(config: config, source: source, owned: placement.experts(of: host))
            let transport = MPIHostTransport(world: world, coordinatorRank: coordinatorRank, host: host)
            defer { transport.close() }
            let server = ExpertHostServer(index: host, config: config, placement: placement, experts: slice,
                                          weightsFingerprint: source.fingerprint, transport: transport, limits: limits,
                                          log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
            let recorder = workload.out.map { _ in HostTraffic.recorder(spec: spec, config: config, host: host, transport: "mpi") }
            server.traffic = recorder
            _ = try server.serve()
            if let recorder, let out = workload.out { try HostTraffic.write(recorder, host: host, into: out) }
        }
    }

    /// The coordinator's rank and each expert host's: from the cluster file when it names MPI
    /// ranks, otherwise 0 and 1…N.
    static func ranks(_ spec: ClusterSpec) -> (Int, [Int]) {
        if case let .mpi(coordinator) = spec.coordinator.endpoint {
            let hosts = spec.hosts.enumerated().map { index, host -> Int in
                if case let .mpi(rank) = host.endpoint { return rank }
                return index + 1
            }
            return (coordinator, hosts)
        }
        return (0, Array(1...spec.hosts.count))
    }
}
