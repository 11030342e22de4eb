import Foundation
import SwitchyardCluster
import SwitchyardCore
import SwitchyardModelConfig
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire

/// `switchyard bench alltoall`: the expert exchange timed over a real transport between echo
/// hosts (threads, child processes over ZeroMQ ipc sockets, or mpirun ranks), nccl-tests style.
public struct AlltoallBench: Sendable, Equatable {
    public enum Transport: String, CaseIterable, Sendable { case zmq, mpi, inproc }

    public var transport: Transport = .zmq
    public var hosts = 8
    public var tokens = 512
    public var hidden = 4096
    public var experts = 128
    public var topk = 4
    public var payload: PayloadType = .bf16
    public var iterations = 20
    public var warmup = 5
    /// Microseconds the coordinator sleeps before each exchange, one row per gap (`AlltoallSweep.idleGaps`); [0]: back to back.
    public var idleGapsMicroseconds = [0]
    /// ZeroMQ links with CURVE (`.curve`), as `switchyard run`'s are by default: each echo host a
    /// CURVE server admitting only the coordinator's key, the keys made for the benchmark in its
    /// private folder. Every byte is then encrypted and authenticated at both ends, which a run pays
    /// and the plaintext links do not. ZeroMQ only.
    public var security: ClusterSecurity = .none

    public init(transport: Transport = .zmq, hosts: Int = 8, tokens: Int = 512, hidden: Int = 4096, experts: Int = 128, topk: Int = 4,
                payload: PayloadType = .bf16, iterations: Int = 20, warmup: Int = 5, idleGapsMicroseconds: [Int] = [0], security: ClusterSecurity = .none) {
        self.security = security
        self.transport = transport
        self.hosts = hosts
        self.tokens = tokens
        self.hidden = hidden
        self.experts = experts
        self.topk = topk
        self.payload = payload
        self.iterations = iterations
        self.warmup = warmup
        self.idleGapsMicroseconds = idleGapsMicroseconds
    }

    /// What the sweep measured, both ends' ledgers merged.
    public struct Result {
        public var rows: [AlltoallRow]
        public var wrongValues: Int
        public var averageBusBandwidth: Double
    }

    public func validate() throws(LaunchInputError) {
        guard (1...256).contains(hosts) else { throw LaunchInputError("--hosts must be in 1...256, got \(hosts)") }
        guard (1...65536).contains(tokens) else { throw LaunchInputError("--tokens must be in 1...65536, got \(tokens)") }
        guard (1...65536).contains(hidden) else { throw LaunchInputError("--hidden must be in 1...65536, got \(hidden)") }
        let expertBound = ModelConfig.bounds.nRoutedExperts
        guard expertBound.contains(experts) else {
            throw LaunchInputError("--experts must be in \(expertBound.lowerBound)...\(expertBound.upperBound), got \(experts)")
        }
        guard experts >= hosts, (1...experts).contains(topk) else { throw LaunchInputError("--experts must be at least --hosts, and --topk in 1...--experts") }
        guard (1...10_000).contains(iterations), (0...10_000).contains(warmup) else { throw LaunchInputError("--iters 1...10000, --warmup 0...10000") }
        guard (1...16).contains(idleGapsMicroseconds.count), idleGapsMicroseconds.allSatisfy({ (0...1_000_000).contains($0) }) else {
            throw LaunchInputError("--idle-gap takes 1 to 16 gaps, each in 0...1000000 µs; got \(idleGapsMicroseconds.map(String.init).joined(separator: ","))")
        }
        guard security == .none || transport == .zmq else {
            throw LaunchInputError("--security curve is for --transport zmq: \(transport.rawValue) links have no CURVE")
        }
    }

    /// The flags of an echo host or MPI rank: the exchange's shape.
    public var shapeArguments: [String] {
        ["--hosts", String(hosts), "--tokens", String(tokens), "--hidden", String(hidden), "--experts", String(experts),
         "--topk", String(topk), "--dtype", payload.rawValue]
    }

    var limits: WireLimits { WireLimits(layers: 1, experts: experts, expertsPerToken: topk, hidden: hidden, maxTokens: tokens) }

    /// The one context of the benchmark's ledgers; `directory` is where the echo hosts write theirs.
    func traffic(_ directory: URL? = nil) -> RunTraffic {
        let kind: TrafficContext.Transport = switch transport { case .zmq: .zmq; case .mpi: .mpi; case .inproc: .inproc }
        return RunTraffic(context: TrafficContext(hosts: hosts, layers: 1, experts: experts, hidden: hidden,
                                                  payload: ActivationPayloads(payload), transport: kind), directory: directory)
    }

    func sweep() throws -> AlltoallSweep {
        var sweep = AlltoallSweep(placement: try Placement(.contiguous, experts: experts, hosts: hosts), hidden: hidden, topK: topk,
                                  payload: ActivationPayloads(payload), tokenCounts: AlltoallSweep.powersOfTwo(upTo: tokens),
                                  iterations: iterations, warmup: warmup)
        sweep.idleGaps = idleGapsMicroseconds.map { .microseconds($0) }
        return sweep
    }

    /// Echo hosts as threads of this process.
    public func runInProcess() throws -> Result {
        try validate()
        let network = InProcessNetwork(hosts: hosts)
        let traffic = traffic()
        let recorders = (0..<hosts).map { traffic.recorder(writer: $0) }
        let done = DispatchGroup()
        for host in 0..<hosts {
            let echo = AlltoallEcho(host: host, transport: network.host(host), limits: limits, traffic: recorders[host])
            nonisolated(unsafe) let serving = echo
            done.enter()
            Thread { _ = try? serving.serve(); done.leave() }.start()
        }
        let coordinator = traffic.recorder(writer: nil)
        let notes = try sweep().run(transport: network.coordinator, traffic: coordinator)
        for host in 0..<hosts { try network.coordinator.send(WireFrame(host: host, body: .shutdown).encoded(), to: host) }
        _ = done.wait(timeout: .now() + 10)
        return result(coordinator.ledger.merging(recorders.flatMap(\.records)), notes: notes)
    }

    /// Echo hosts as child processes (`executable bench alltoall-host`) on ipc sockets, or with
    /// `tcpPorts` (one per host) on tcp over the loopback interface (as `topology calibrate`
    /// measures tcp), in plaintext or with CURVE (`security`).
    public func runZeroMQ(executable: String, tcpPorts: [Int]? = nil) throws -> Result {
        try validate()
        // Sockets (and keys) only this user can reach.
        let folder = URL(fileURLWithPath: try PrivateRunFolder().path)
        defer { try? FileManager.default.removeItem(at: folder) }
        let endpoints = (0..<hosts).map { host in tcpPorts.map { "tcp://127.0.0.1:\($0[host])" } ?? "ipc://\(folder.path)/host-\(host)" }
        let keys = security == .curve ? try Self.makeCurveKeys(hosts: hosts, folder: folder.path) : nil
        let processes = try ExpertHostProcesses(hosts: hosts, executable: executable, command: ["bench", "alltoall-host"], endpoints: endpoints) { host in
            ["--endpoint", endpoints[host]] + shapeArguments + ["--traffic-out", folder.path] + (keys == nil ? [] : ["--curve-keys", folder.path])
        }
        let transport = try ZeroMQCoordinatorTransport(endpoints: endpoints, security: keys.map { .curveClient($0.coordinator, serverKeys: $0.hosts) })
        let coordinator = traffic().recorder(writer: nil)
        let notes: [AlltoallExchangeNote]
        do {
            notes = try sweep().run(transport: transport, traffic: coordinator)
        } catch {
            processes.stop(grace: .zero)
            throw error
        }
        for host in 0..<hosts { try transport.send(WireFrame(host: host, body: .shutdown).encoded(), to: host) }
        processes.stop()
        transport.close()
        return result(coordinator.ledger.merging(try RunTraffic.hostRecords(in: folder, hosts: hosts)), notes: notes)
    }

    /// Key pairs for a CURVE run, made now: the coordinator's public key and each host's pair in
    /// `folder` (`CurveKeyFile`: coordinator.key, host-K.key and host-K.key_secret), where
    /// `curveSecurity(host:folder:)` reads a host's.
    static func makeCurveKeys(hosts: Int, folder: String) throws -> (coordinator: CurveKeyPair, hosts: [String]) {
        let coordinator = try CurveKeyPair.generate()
        try CurveKeyFile.write(publicKey: coordinator.publicKey, secretKey: coordinator.secretKey, folder: folder, name: "coordinator")
        let hostKeys = try (0..<hosts).map { host in
            let pair = try CurveKeyPair.generate()
            try CurveKeyFile.write(publicKey: pair.publicKey, secretKey: pair.secretKey, folder: folder, name: "host-\(host)")
            return pair.publicKey
        }
        return (coordinator, hostKeys)
    }

    /// An echo host's CURVE server settings from the keys `makeCurveKeys` wrote into `folder`.
    public static func curveSecurity(host: Int, folder: String) throws -> ZeroMQSecurity {
        .curveServer(secretKey: try CurveKeyFile.readSecret(folder + "/host-\(host)" + CurveKeyFile.secretSuffix),
                     admittedClients: [try CurveKeyFile.readPublic(folder + "/coordinator" + CurveKeyFile.publicSuffix)])
    }

    /// The mpirun line that re-runs the benchmark as ranks: rank 0 coordinates, ranks 1…N echo.
    public func mpiCommandLine(executable: String, trafficDirectory: String, extra: [String] = []) -> [String] {
        MPILaunch.mpirun(ranks: hosts + 1, hostfile: nil) + [executable, "bench", "alltoall", "--transport", "mpi", "--mpi-rank",
            "--traffic-dir", trafficDirectory] + shapeArguments + ["--iters", String(iterations), "--warmup", String(warmup),
            "--idle-gap", idleGapsMicroseconds.map(String.init).joined(separator: ",")] + extra
    }

    /// This process's rank of the MPI benchmark; rank 0 returns the result, the echo ranks nil.
    public func runMPIRank(trafficDirectory: URL) throws -> Result? {
        try validate()
        let world = try MPIWorld()
        defer { world.finalize() }
        guard world.size == hosts + 1 else { throw LaunchInputError("--hosts \(hosts) needs mpirun -np \(hosts + 1), not \(world.size)") }
        let traffic = traffic(trafficDirectory)
        if world.rank == 0 {
            let transport = try MPICoordinatorTransport(world: world, hostRanks: Array(1...hosts), limits: limits)
            let coordinator = traffic.recorder(writer: nil)
            let notes = try sweep().run(transport: transport, traffic: coordinator)
            for host in 0..<hosts { try transport.send(WireFrame(host: host, body: .shutdown).encoded(), to: host) }
            transport.close()
            try world.barrier()
            return result(coordinator.ledger.merging(try RunTraffic.hostRecords(in: trafficDirectory, hosts: hosts)), notes: notes)
        }
        let host = world.rank - 1
        let transport = try MPIHostTransport(world: world, coordinatorRank: 0, host: host, limits: limits)
        try serveEcho(host: host, transport: transport, traffic: traffic)
        transport.close()
        try world.barrier()
        return nil
    }

    /// One echo host: answers until a shutdown frame or `shouldStop`, then writes its ledger.
    public func serveEcho(host: Int, transport: HostTransport, traffic: RunTraffic, shouldStop: () -> Bool = { false }) throws {
        let recorder = traffic.recorder(writer: host)
        _ = try AlltoallEcho(host: host, transport: transport, limits: limits, traffic: recorder).serve(shouldStop: shouldStop)
        try traffic.write(recorder.ledger)
    }

    /// `bench alltoall-host`: an echo host as a process, on a ZeroMQ endpoint, a CURVE server with `security`.
    public func serveEchoProcess(host: Int, endpoint: String, trafficDirectory: URL, parentPid: Int32?, security: ZeroMQSecurity? = nil) throws {
        let transport = try ZeroMQHostTransport(endpoint: endpoint, host: host, security: security)
        defer { transport.close() }
        try serveEcho(host: host, transport: transport, traffic: traffic(trafficDirectory),
                      shouldStop: { parentPid.map { getppid() != $0 } ?? false })
    }

    func result(_ ledger: TrafficLedger, notes: [AlltoallExchangeNote]) -> Result {
        let rows = AlltoallRow.rows(ledger.records, notes: notes, tokenCounts: AlltoallSweep.powersOfTwo(upTo: tokens),
                                    idleGaps: idleGapsMicroseconds.map { Double($0) * 1e-6 }, bytesPerValue: payload.bytesPerValue)
        return Result(rows: rows, wrongValues: notes.reduce(0) { $0 + $1.wrongValues }, averageBusBandwidth: AlltoallRow.averageBusBandwidth(rows))
    }
}
