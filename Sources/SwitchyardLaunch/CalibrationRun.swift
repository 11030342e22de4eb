import Foundation
import SwitchyardCluster
import SwitchyardCore
import SwitchyardKernels
import SwitchyardModel
import SwitchyardTopology

/// `switchyard topology calibrate`'s measuring: the transports timed with the all-to-all
/// benchmark's echo hosts (real processes, real frames), a ping-pong of one host and a burst of
/// `hosts`, each over a sweep of message sizes; and the CPU's expert kernels alone and with
/// `hosts` threads running them at once. The fitting is `MachineCalibration`'s.
public struct CalibrationRun: Sendable {
    public enum Transport: String, CaseIterable, Sendable {
        case zmqIPC = "zmq-ipc", zmqTCP = "zmq-tcp", mpi

        /// The fabric's name in the topology file; ZeroMQ's says when its links were measured with CURVE.
        public func fabricName(security: ClusterSecurity) -> String {
            let curve = security == .curve ? " with CURVE" : ""
            return switch self {
            case .zmqIPC: "ZeroMQ ipc\(curve) (measured)"
            case .zmqTCP: "ZeroMQ tcp loopback\(curve) (measured)"
            case .mpi: "Open MPI shared memory (measured)"
            }
        }
    }

    /// One transport's measurement: the round trips fitted and the link figures from them; the
    /// round trips after idle gaps and the wake-up curve from them.
    public struct LinkMeasurement: Sendable {
        public var transport: Transport
        public var pingPong: [MachineCalibration.Timing]
        public var burst: [MachineCalibration.Timing]
        public var link: MachineCalibration.Link
        public var coldPingPong: [MachineCalibration.ColdTiming]
        public var coldBurst: [MachineCalibration.ColdTiming]
        public var wakeUp: WakeUpCosts
    }

    /// The idle gaps, µs, that cold exchanges are timed after: from under a decode layer's gap in
    /// the default run (about 1 ms) to past a prefill layer's (about 5 ms).
    public static let idleGapsMicroseconds = [250, 500, 1000, 2000, 4000, 8000]

    public var hosts: Int
    public var hidden: Int
    public var intermediate: Int
    public var experts: Int
    public var topk: Int
    /// Largest token count of the sweeps (1, 2, 4, … this).
    public var tokens: Int
    /// Timed exchanges per size, and passes over the experts.
    public var repetitions: Int
    /// The ZeroMQ links' security, as the runs to be predicted have it (`switchyard run`'s default
    /// is CURVE: each byte encrypted and authenticated at both ends, which costs a 256-token bench
    /// alltoall round trip 4× its plaintext time here). MPI links have none.
    public var security: ClusterSecurity

    public init(hosts: Int, hidden: Int, intermediate: Int, experts: Int, topk: Int, tokens: Int, repetitions: Int, security: ClusterSecurity = .curve) {
        self.security = security
        self.hosts = hosts
        self.hidden = hidden
        self.intermediate = intermediate
        self.experts = experts
        self.topk = topk
        self.tokens = tokens
        self.repetitions = repetitions
    }

    /// The second row width swept: 8 × hidden, over the same token counts (8 times the bytes), so
    /// that per-byte and per-token costs can be told apart and the burst reaches the sizes a
    /// 4096-wide row moves (bench alltoall's 256 tokens: about 878 KB a host), not extrapolated to
    /// them (at a quarter of the tokens that row was predicted at 0.62–0.67 of its time; at all of
    /// them 0.95–1.20 in five quiet checks).
    var wideHidden: Int { min(65536, 8 * hidden) }

    func bench(hosts: Int, transport: AlltoallBench.Transport, wide: Bool) -> AlltoallBench {
        AlltoallBench(transport: transport, hosts: hosts, tokens: tokens, hidden: wide ? wideHidden : hidden,
                      experts: max(experts, hosts), topk: topk, payload: .bf16, iterations: repetitions, warmup: max(1, repetitions / 4),
                      security: transport == .zmq ? security : .none)
    }

    /// The cold sweep: token counts up to 4 a host at the model's width, each timed back to back
    /// and after every gap of `idleGapsMicroseconds`, the gaps taking turns (`AlltoallSweep`).
    func coldBench(hosts: Int, transport: AlltoallBench.Transport) -> AlltoallBench {
        AlltoallBench(transport: transport, hosts: hosts, tokens: 4 * hosts, hidden: hidden, experts: max(experts, hosts), topk: topk, payload: .bf16,
                      iterations: 2 * repetitions, warmup: max(1, repetitions / 4), idleGapsMicroseconds: [0] + Self.idleGapsMicroseconds,
                      security: transport == .zmq ? security : .none)
    }

    /// Times the ping-pong and the burst over `transport`, each at two row widths, and fits the link;
    /// then both again after idle gaps, for the wake-up curve.
    public func measure(_ transport: Transport, executable: String) throws -> LinkMeasurement {
        var pingPong: [MachineCalibration.Timing] = [], burst: [MachineCalibration.Timing] = []
        let kind: AlltoallBench.Transport = transport == .mpi ? .mpi : .zmq
        for wide in [false, true] {
            pingPong += try timings(bench(hosts: 1, transport: kind, wide: wide), transport, executable).map(\.timing)
            // A burst row counts only when every host is likely to get tokens: at least 2 per host.
            burst += try timings(bench(hosts: hosts, transport: kind, wide: wide), transport, executable)
                .filter { $0.tokens >= 2 * hosts }.map(\.timing)
        }
        let link = try MachineCalibration.link(pingPong: pingPong, burst: burst, hosts: hosts)
        let coldPingPong = try coldTimings(coldBench(hosts: 1, transport: kind), transport, executable)
        let coldBurst = try coldTimings(coldBench(hosts: hosts, transport: kind), transport, executable)
        return LinkMeasurement(transport: transport, pingPong: pingPong, burst: burst, link: link, coldPingPong: coldPingPong, coldBurst: coldBurst,
                               wakeUp: MachineCalibration.wakeUp(pingPong: coldPingPong, burst: coldBurst, hosts: hosts))
    }

    /// Each row after an idle gap beside the back-to-back row of its size (rows with at least 2
    /// tokens a host only, as the burst's).
    func coldTimings(_ b: AlltoallBench, _ transport: Transport, _ executable: String) throws -> [MachineCalibration.ColdTiming] {
        let rows = try timings(b, transport, executable).filter { $0.tokens >= 2 * b.hosts }
        return rows.compactMap { row in
            guard row.idle > 0, let hot = rows.first(where: { $0.tokens == row.tokens && $0.idle == 0 }) else { return nil }
            return MachineCalibration.ColdTiming(idleSeconds: row.idle, seconds: row.timing.seconds, hotSeconds: hot.timing.seconds)
        }
    }

    /// (tokens, idle gap, wire bytes and token records out and back, median round trip) per row of one sweep.
    func timings(_ b: AlltoallBench, _ transport: Transport, _ executable: String) throws -> [(tokens: Int, idle: Double, timing: MachineCalibration.Timing)] {
        switch transport {
        case .zmqIPC, .zmqTCP:
            let result = try b.runZeroMQ(executable: executable, tcpPorts: transport == .zmqTCP ? try Self.freeLoopbackPorts(b.hosts) : nil)
            guard result.wrongValues == 0 else { throw LaunchFailure("calibration over \(transport.rawValue): \(result.wrongValues) values came back wrong") }
            return result.rows.map {
                ($0.tokens, $0.idleGapSeconds, .init(bytes: Double($0.dispatchWireBytes + $0.combineWireBytes), tokens: 2 * Double($0.count) / Double(b.hidden),
                                                     seconds: $0.roundTripSeconds))
            }
        case .mpi:
            return try mpiTimings(b, executable: executable)
        }
    }

    /// The MPI sweep runs as `bench alltoall --transport mpi` ranks under mpirun, its rows read
    /// back from the JSON rank 0 writes.
    func mpiTimings(_ b: AlltoallBench, executable: String) throws -> [(tokens: Int, idle: Double, timing: MachineCalibration.Timing)] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-calibrate-mpi-\(getpid())-\(b.hosts)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jsonFile = folder.appendingPathComponent("rows.json")
        let line = b.mpiCommandLine(executable: executable, trafficDirectory: folder.path, extra: ["--json", jsonFile.path])
        guard let mpirun = Executables.find(line[0]) else { throw LaunchInputError("mpirun is not on the PATH (install openmpi-bin, or run `make deps`)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = Array(line.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = try? Data(contentsOf: jsonFile),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let rows = object["rows"] as? [[String: Any]] else {
            throw LaunchFailure("calibration over mpi: mpirun exited \(process.terminationStatus) without its rows")
        }
        return rows.compactMap { row in
            guard let t = row["tokens"] as? Int, let d = row["dispatch_wire_bytes"] as? Int, let c = row["combine_wire_bytes"] as? Int,
                  let count = row["count"] as? Double ?? (row["count"] as? Int).map(Double.init), let s = row["round_trip_seconds"] as? Double else { return nil }
            let idle = row["idle_gap_seconds"] as? Double ?? (row["idle_gap_seconds"] as? Int).map(Double.init) ?? 0
            return (t, idle, .init(bytes: Double(d + c), tokens: 2 * count / Double(b.hidden), seconds: s))
        }
    }

    /// Ports the loopback interface has free now (bound to port 0 and let go; another process could
    /// take one before the echo host binds it, which fails that host's start, not silently).
    static func freeLoopbackPorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = [], ports: [Int] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw LaunchFailure("cannot open a socket to find a free port") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw LaunchFailure("cannot bind a loopback port to find a free one") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    /// The expert kernels (`ExpertWeights.forward`, float32 weights of the model's shape): one
    /// token through experts cycled beyond the caches (weight bytes a second) and 8 tokens through
    /// one (FLOPs a second), first on this thread alone, then on `hosts` threads at once.
    public func measureExperts() -> MachineCalibration.Experts {
        let expertBytes = 3 * hidden * intermediate * 4
        // Enough experts that their weights (about 64 MiB) come from memory, not cache.
        let count = max(2 * hosts, min(4096, (64 << 20) / max(1, expertBytes) + 1))
        let experts = (0..<count).map { Self.expert(hidden: hidden, intermediate: intermediate, seed: UInt64($0 + 1)) }
        // FLOPs a second at the most tokens the streaming kernels take (Linear.streamingTokenLimit):
        // a run's hosts get a few tokens per expert (a decode step's one, a short prefill's four),
        // so that path, not sgemm's many-token one, is the one whose rate a run sees.
        let one = Self.activations(tokens: 1, hidden: hidden), manyTokens = Linear.streamingTokenLimit
        let many = Self.activations(tokens: manyTokens, hidden: hidden)
        let flopsPerPass = 2.0 * 3 * Double(hidden * intermediate * manyTokens)
        @Sendable func stream(_ slice: ArraySlice<ExpertWeights>) { for e in slice { _ = e.forward(one, tokens: 1) } }
        @Sendable func products(_ e: ExpertWeights) { _ = e.forward(many, tokens: manyTokens) }
        let passes = max(1, repetitions)

        var start = ContinuousClock.now
        for _ in 0..<passes { stream(experts[...]) }
        let memory = Double(expertBytes * count * passes) / (ContinuousClock.now - start).inSeconds
        start = ContinuousClock.now
        for _ in 0..<passes { products(experts[0]) }
        let flops = flopsPerPass * Double(passes) / (ContinuousClock.now - start).inSeconds

        return MachineCalibration.Experts(memoryBytesPerSecond: memory, flops: flops, sharedMemoryBytesPerSecond: 0, sharedFLOPS: 0)
    }

    public enum ExpertLoop: String, Sendable { case memory, flops }

    /// One worker of the shared measurement (`topology calibrate-worker`): builds its experts, says
    /// `ready` and waits for a line on standard input (the common start), runs `passes` passes and
    /// returns the work done (bytes or FLOPs) and its end, seconds since 1970.
    /// `tokens`: tokens each call of the memory loop carries (the flops loop always takes
    /// `Linear.streamingTokenLimit`).
    /// With `rounds`, the memory loop instead runs `passes` rounds of `rounds.experts` experts each
    /// (cycling through its own): before each it calls `rounds.await` (the round's start), after
    /// each `rounds.done`, as a run's host waits for a dispatch, streams its share and answers.
    public static func expertWorker(_ loop: ExpertLoop, hidden: Int, intermediate: Int, experts count: Int, passes: Int, tokens memoryTokens: Int = 1,
                                    rounds: (experts: Int, await: () -> Void, done: () -> Void)? = nil,
                                    ready: () -> Void) -> (work: Double, end: Double) {
        let experts = (0..<count).map { expert(hidden: hidden, intermediate: intermediate, seed: UInt64($0 + 1)) }
        let tokens = loop == .memory ? memoryTokens : Linear.streamingTokenLimit
        let x = activations(tokens: tokens, hidden: hidden)
        ready()
        var calls = 0
        for _ in 0..<passes {
            if let rounds, loop == .memory {
                rounds.await()
                for _ in 0..<rounds.experts {
                    _ = experts[calls % count].forward(x, tokens: tokens)
                    calls += 1
                }
                rounds.done()
            } else if loop == .memory {
                for e in experts { _ = e.forward(x, tokens: tokens) }
                calls += count
            } else {
                _ = experts[0].forward(x, tokens: tokens)
            }
        }
        let end = Date().timeIntervalSince1970
        let work = loop == .memory ? Double(3 * hidden * intermediate * 4 * calls) : 2.0 * 3 * Double(hidden * intermediate * tokens * passes)
        return (work, end)
    }

    /// The expert kernels with `hosts` processes running them at once, as a run's hosts do (each
    /// process its own experts and the threads a run gives each host, so the cores are shared as in a run): the
    /// total work over the time from the common start (when every worker is ready) to the last end.
    /// Each worker streams its own 64 MiB of experts, as a run's hosts stream their own (a mini
    /// host holds 113 MB and touches each expert once an exchange). With a share of 64 MiB each
    /// (8 MiB for 8 workers) a worker can read its experts again from the caches (32 MiB of L3 on
    /// the development machine) within one time slice: 8 workers measured 10–21 GB/s at 10 passes
    /// and 24–31 at 80, against 9.7–11.7 with 64 MiB each (docs/TOPOLOGY.md). The memory loop runs
    /// at each count of `streamingTokenCounts` for the weight-streaming curve, in rounds of
    /// `roundExperts` experts a worker (`sharedRate`), whose 1-token point is the shared memory rate.
    public func measureSharedExperts(executable: String) throws -> (memoryBytesPerSecond: Double, flops: Double, streaming: [WeightStreaming.Point]) {
        let flops = try sharedRate(.flops, tokens: Linear.streamingTokenLimit, executable: executable)
        // The token counts take turns, `streamingRounds` times, and each keeps its median: the
        // load's drift over the sweep falls on all of them alike (one pass in order measured 2
        // tokens a call faster than 1 on this machine).
        var rates: [Int: [Double]] = [:]
        for _ in 0..<Self.streamingRounds {
            for tokens in Self.streamingTokenCounts {
                rates[tokens, default: []].append(try sharedRate(.memory, tokens: tokens, roundExperts: roundExperts, executable: executable))
            }
        }
        let streaming = Self.streamingTokenCounts.map { tokens in
            WeightStreaming.Point(tokens: tokens, bytesPerSecond: MachineBaseline.median(rates[tokens]!))
        }
        return (streaming[0].bytesPerSecond, flops, streaming)
    }

    /// Experts each worker streams a round of the weight-streaming curve: a token's top-k, what a
    /// host gets in a decode step with as many tokens as hosts (the default run's 8 and 8).
    var roundExperts: Int { max(1, topk) }

    /// Times each token count of the weight-streaming curve is measured.
    public static let streamingRounds = 3

    /// Tokens a call of the weight-streaming curve (`shared_compute.weight_streaming`): 1, 2, 4, …
    /// up to the most the streaming kernels take. A run's hosts get a few tokens an expert (a decode
    /// step's one, a short prefill's four), and the multi-token path reads weights at about half
    /// the one-token rate when every host streams at once.
    public static let streamingTokenCounts = [1, 2, 4, 8, 16].filter { $0 <= Linear.streamingTokenLimit }

    /// Work a second of `hosts` worker processes running `loop` at once (the memory loop with
    /// `tokens` tokens a call). With `roundExperts`, the memory loop runs in rounds, as a run's
    /// hosts compute: this process starts a round by writing a line to each worker in turn (as a
    /// coordinator sends its dispatches), each worker streams `roundExperts` of its experts and
    /// answers with a line; the rate is the bytes over the rounds' summed times, so it carries what
    /// continuous streaming does not: waking the workers, and cores left idle while the last of them
    /// finish (measured in the default run: a decode exchange's hosts held on average about one
    /// of two cores, `docs/SIMULATOR.md`).
    func sharedRate(_ loop: ExpertLoop, tokens: Int, roundExperts: Int? = nil, executable: String) throws -> Double {
        let expertBytes = 3 * hidden * intermediate * 4
        let cycled = max(2, (64 << 20) / max(1, expertBytes) + 1), perWorker = max(2, cycled / hosts)
        let rounds = Self.roundsPerPoint * max(1, repetitions)
        // Every worker started is stopped with the calibration when it is signalled (SignalGuard),
        // not left running, and untracked however this ends (a worker that failed to start included).
        var started: [pid_t] = []
        defer { for pid in started { SignalGuard.shared.untrack(pid) } }
        let workers = try (0..<hosts).map { _ -> (process: Process, output: Pipe, input: Pipe) in
            let process = Process(), output = Pipe(), input = Pipe()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["topology", "calibrate-worker", "--loop", loop.rawValue, "--hidden", String(hidden), "--intermediate", String(intermediate),
                                 "--experts", String(loop == .memory ? cycled : 1), "--tokens", String(tokens),
                                 // Each worker the threads a run gives each of its hosts (CoordinatorCluster).
                                 "--threads", String(Parallelism.share(among: hosts)),
                                 "--passes", String(roundExperts != nil ? rounds : max(1, repetitions) * (loop == .memory ? 1 : 4 * perWorker))]
                + (roundExperts.map { ["--round-experts", String($0)] } ?? [])
            process.standardOutput = output
            process.standardInput = input
            try process.run()
            SignalGuard.shared.track(process.processIdentifier)
            started.append(process.processIdentifier)
            return (process, output, input)
        }
        // Every worker has built its experts: start them together.
        for w in workers {
            guard try Self.line(from: w.output, within: Self.workerDeadline).hasPrefix("ready") else {
                throw LaunchFailure("an expert worker of the calibration did not start")
            }
        }
        let start = Date().timeIntervalSince1970
        for w in workers { w.input.fileHandleForWriting.write(Data("go\n".utf8)) }
        if let roundExperts {
            var seconds = 0.0
            for _ in 0..<rounds {
                let begin = ContinuousClock.now
                for w in workers { w.input.fileHandleForWriting.write(Data("r\n".utf8)) }
                for w in workers {
                    guard try Self.line(from: w.output, within: Self.workerDeadline) == "d" else {
                        throw LaunchFailure("an expert worker of the calibration did not finish its round")
                    }
                }
                seconds += (ContinuousClock.now - begin).inSeconds
            }
            for w in workers { w.process.waitUntilExit() }
            guard seconds > 0 else { throw LaunchFailure("the expert workers' rounds took no time") }
            return Double(hosts * roundExperts * rounds * expertBytes) / seconds
        }
        var work = 0.0, end = start
        for w in workers {
            let text = String(decoding: w.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            w.process.waitUntilExit()
            let fields = text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            guard w.process.terminationStatus == 0, fields.count == 2 else { throw LaunchFailure("an expert worker of the calibration failed: \(text)") }
            work += fields[0]
            end = max(end, fields[1])
        }
        guard end > start else { throw LaunchFailure("the expert workers ended before their common start") }
        return work / (end - start)
    }

    /// Rounds per point of the weight-streaming curve, times `repetitions`.
    static let roundsPerPoint = 20

    /// How long a worker may take to say it is ready (its experts built) or to finish a round.
    static let workerDeadline: Duration = .seconds(60)

    /// One line (without its newline) a worker wrote, read a byte at a time so nothing past it is
    /// taken from the pipe; a worker that ends or stays silent past `deadline` fails the calibration.
    public static func line(from pipe: Pipe, within deadline: Duration) throws -> String {
        let fd = pipe.fileHandleForReading.fileDescriptor, end = ContinuousClock.now + deadline
        var bytes: [UInt8] = []
        while true {
            let left = end - ContinuousClock.now
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > .zero else { throw LaunchFailure("an expert worker of the calibration said nothing for \(deadline)") }
            let ready = poll(&entry, 1, Int32(min(60_000, (left.inSeconds * 1000).rounded(.up))))
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            guard ready > 0 else { throw LaunchFailure("an expert worker of the calibration could not be read: errno \(errno)") }
            var byte: UInt8 = 0
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { throw LaunchFailure("an expert worker of the calibration ended early") }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            guard bytes.count < 256 else { throw LaunchFailure("an expert worker of the calibration wrote an overlong line") }
            bytes.append(byte)
        }
    }

    static func expert(hidden: Int, intermediate: Int, seed: UInt64) -> ExpertWeights {
        var rng = SplitMix64(seed: seed)
        func matrix(_ rows: Int, _ cols: Int) -> WeightMatrix {
            let scale = 1 / Float(cols).squareRoot()
            return WeightMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in (rng.nextFloat() - 0.5) * scale })
        }
        return ExpertWeights(gateProj: matrix(intermediate, hidden), upProj: matrix(intermediate, hidden), downProj: matrix(hidden, intermediate))
    }

    static func activations(tokens: Int, hidden: Int) -> [Float] {
        var rng = SplitMix64(seed: 99)
        return (0..<(tokens * hidden)).map { _ in rng.nextFloat() - 0.5 }
    }
}
