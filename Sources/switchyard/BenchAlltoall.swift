import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardLaunch
import SwitchyardProtocol
import SwitchyardTraffic
import SwitchyardWire
import SwitchyardCore
import SwitchyardSimulator

struct BenchAlltoall: ParsableCommand {
    enum DType: String, ExpressibleByArgument, CaseIterable { case f32, bf16 }

    static let configuration = CommandConfiguration(
        commandName: "alltoall",
        abstract: "Time the expert exchange over a real transport: dispatch and combine per token count, nccl-tests style.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench alltoall [<options>]",
        discussion: """
        The coordinator routes T tokens uniformly to E experts (top K, seeded), dealt
        contiguously over N hosts, sends each host its dispatch frame and waits for
        every combine. Hosts are child processes (zmq, ipc sockets), mpirun ranks
        (mpi) or threads (inproc); they decode and checksum each dispatch as a real
        host does and answer at once: row r of host h's combine is row r of its
        dispatch negated and rotated left by h + 1 columns. No expert math is timed.
        Token counts sweep 1, 2, 4, … up to --tokens. Per row, medians over --iters
        exchanges after --warmup:
          dispatch: first dispatch frame handed to the transport → last one
                    received by a host;
          combine:  the coordinator's last dispatch send returning (or the first
                    combine sent by a host, if later) → last combine received by
                    the coordinator;
          count:    activation values the coordinator sends per exchange;
          size:     their bytes (count × bytes of the type), sent and received
                    back; frames add headers and routes (--json: wire bytes);
          algbw:    size ÷ time;
          busbw:    algbw × 1, because every byte crosses the coordinator's one
                    link (nccl's alltoall factor (n−1)/n discounts a rank's share
                    to itself; here there is none);
          #wrong:   returned values that differ from the rule above, checked on
                    the coordinator for every exchange of the row (warm-up
                    included), outside the timed span.
        "# Avg bus bandwidth" is the mean of every row's dispatch and combine busbw.
        --idle-gap G1,G2,… sleeps G µs before each exchange (the hosts asleep when
        the dispatch comes, as in a run whose coordinator computes between layers):
        the gaps take turns, one row per token count and gap ("idle (us)").
        Exits 1 when any value came back wrong. Times come from both ends' traffic
        ledgers (CLOCK_REALTIME): exact on one machine.

        Example: switchyard bench alltoall --transport zmq --hosts 8 --tokens 1024 \\
                   --hidden 4096
        --security curve runs the zmq links as switchyard run does by default:
        CURVE, every byte encrypted and authenticated at both ends.
        Defaults: zmq, 8 hosts, 512 tokens, hidden 4096, 128 experts, top 4, bf16, 20
        iterations, 5 warm-up, idle gap 0 (back to back), security none.
        """
    )

    @Option(help: "zmq, mpi or inproc.") var transport: AlltoallBench.Transport = .zmq
    @Option(help: "Expert hosts.") var hosts = 8
    @Option(help: "Largest token count of the sweep.") var tokens = 512
    @Option(help: "Values per activation row.") var hidden = 4096
    @Option(help: "Routed experts.") var experts = 128
    @Option(help: "Experts per token.") var topk = 4
    @Option(help: "Activations on the wire: f32 or bf16.") var dtype: DType = .bf16
    @Option(name: .customLong("iters"), help: "Timed exchanges per token count.") var iterations = 20
    @Option(help: "Untimed exchanges per token count first.") var warmup = 5
    @Option(help: "Microseconds the coordinator sleeps before each exchange, as a run's coordinator computes between layers (its hosts asleep when the dispatch comes); comma-separated gaps take turns, one row each; 0: back to back.")
    var idleGap = "0"
    @Option(help: "With zmq: none (plaintext), or curve (encrypted and authenticated, as switchyard run's links are by default).")
    var security: ClusterSecurity = .none
    @Option(help: JSONOption.help) var json: String?
    @Flag(help: .hidden) var mpiRank = false
    @Option(help: .hidden) var trafficDir: String?
    @Option(help: "The raw-MPI peer (bench/raw_alltoall.c, built by make bench): its round trip on the largest row's bytes is printed beside this transport's, and their ratio.")
    var rawMPI: String?
    @Option(help: "The raw-ZeroMQ peer (bench/raw_zmq_alltoall.c, built by make bench), with --transport zmq: libzmq alone on the largest row's bytes, its round trip printed beside this transport's (and beside the raw-MPI peer's with --raw-mpi).")
    var rawZmq: String?
    @Option(help: .hidden) var lastRow: String?
    @Option(help: "A topology file (e.g. topology calibrate's): the largest row's round trip predicted on it, coordinator on device 0 and host h on device h, beside the measured one.")
    var topology: String?

    var bench: AlltoallBench {
        AlltoallBench(transport: transport, hosts: hosts, tokens: tokens, hidden: hidden, experts: experts, topk: topk,
                      payload: dtype == .f32 ? .f32 : .bf16, iterations: iterations, warmup: warmup, idleGapsMicroseconds: idleGaps ?? [-1],
                      security: security)
    }

    /// `--idle-gap` as numbers; nil when one is not an integer.
    var idleGaps: [Int]? {
        let gaps = idleGap.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return gaps.contains(nil) ? nil : gaps.compactMap { $0 }
    }

    func validate() throws {
        guard idleGaps != nil else { throw ValidationError("--idle-gap must be microseconds, comma-separated (0,1000,5000), got \"\(idleGap)\"") }
        do { try bench.validate() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let result: AlltoallBench.Result?
        switch transport {
        case .inproc: result = try bench.runInProcess()
        case .zmq: result = try bench.runZeroMQ(executable: try ChildProcess.currentExecutable())
        case .mpi:
            if mpiRank {
                guard let trafficDir else { throw ValidationError("--mpi-rank needs --traffic-dir") }
                result = try bench.runMPIRank(trafficDirectory: URL(fileURLWithPath: trafficDir))
            } else {
                // Re-runs this command under mpirun: rank 0 coordinates and prints, ranks 1…N echo.
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-alltoall-mpi-\(getpid())")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: folder) }
                let lastRow = folder.appendingPathComponent("last-row").path
                try MPILaunch.execute(bench.mpiCommandLine(executable: try ChildProcess.currentExecutable(), trafficDirectory: folder.path,
                                                           extra: (json.map { ["--json", $0] } ?? []) + ["--last-row", lastRow]))
                result = nil
                // The ranks are gone: now the raw peer can have the machine.
                if let rawMPI, let text = try? String(contentsOfFile: lastRow, encoding: .utf8) {
                    let figures = text.split(separator: " ").compactMap { Double($0) }
                    if figures.count == 3 { _ = try compare(rawMPI, dispatch: Int(figures[0]), combine: Int(figures[1]), roundTrip: figures[2]) }
                }
            }
        }
        if let result {
            try report(result)
            if let topology, let last = result.rows.last { print(try predicted(last, topology: topology)) }
            if let last = result.rows.last {
                let (d, c) = (last.dispatchWireBytes / hosts, last.combineWireBytes / hosts)
                if let lastRow { try OutputFile.write("\(d) \(c) \(last.roundTripSeconds)", to: lastRow) }
                var rawMPITrip: Double?
                if let rawMPI, transport != .mpi { rawMPITrip = try compare(rawMPI, dispatch: d, combine: c, roundTrip: last.roundTripSeconds) }
                if let rawZmq, transport == .zmq {
                    try compareRawZeroMQ(rawZmq, dispatch: d, combine: c, roundTrip: last.roundTripSeconds, rawMPI: rawMPITrip)
                }
            }
        }
    }

    /// The row's exchange timed on the topology's link model: one dispatch of the row's mean wire
    /// bytes to each host, one combine back (echo hosts compute nothing), after the row's idle gap
    /// (the fabric's wake-up; none back to back), against its round trip.
    func predicted(_ row: AlltoallRow, topology file: String) throws -> String {
        let topology = try TopologyArgument.load(file)
        let devices = topology.devices.count, rows = Double(row.count) / Double(hidden) / Double(hosts)
        let messages = (0..<hosts).flatMap { h in
            [TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: true, sourceDevice: 0, destinationDevice: h % devices,
                          bytes: Double(row.dispatchWireBytes) / Double(hosts), tokens: Int(rows.rounded())),
             TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: false, sourceDevice: h % devices, destinationDevice: 0,
                          bytes: Double(row.combineWireBytes) / Double(hosts), tokens: Int(rows.rounded()))]
        }
        let projection = TraceProjection(messages: messages, topology: topology, idleBefore: row.idleGapSeconds > 0 ? [1: row.idleGapSeconds] : [:])
        return "# " + TraceSimulation.comparison("round trip of \(row.tokens) tokens on \(topology.name)", predicted: projection.inFlightSeconds,
                                                 measured: row.roundTripSeconds)
    }

    /// Runs the raw-MPI peer on the same bytes per host and prints both round trips and the ratio;
    /// returns the peer's round trip in microseconds.
    @discardableResult
    func compare(_ peer: String, dispatch: Int, combine: Int, roundTrip: Double) throws -> Double {
        guard let mpirun = Executables.find("mpirun") else { throw ValidationError("--raw-mpi needs mpirun on the PATH") }
        let raw = try peerRoundTrip(name: "raw-MPI", executable: mpirun, arguments: Array(MPILaunch.mpirun(ranks: hosts + 1, hostfile: nil).dropFirst())
            + [peer, String(max(1, dispatch)), String(max(1, combine)), String(iterations), String(warmup)])
        let ours = roundTrip * 1e6
        print(String(format: "# raw MPI peer, same bytes per host (%d out, %d back), %d hosts: round trip %.1f us; %@: %.1f us; speed %.2f× of raw MPI",
                     dispatch, combine, hosts, raw, transport.rawValue, ours, raw / max(ours, 1e-9)))
        return raw
    }

    /// Runs the raw-ZeroMQ peer on the same bytes per host and prints its round trip beside this
    /// transport's (and the raw-MPI peer's, `rawMPI` microseconds, when it ran).
    func compareRawZeroMQ(_ peer: String, dispatch: Int, combine: Int, roundTrip: Double, rawMPI: Double?) throws {
        let raw = try peerRoundTrip(name: "raw-ZeroMQ", executable: peer,
                                    arguments: [String(hosts), String(max(1, dispatch)), String(max(1, combine)), String(iterations), String(warmup)])
        let ours = roundTrip * 1e6
        var line = String(format: "# raw ZeroMQ peer, same bytes per host, %d hosts: round trip %.1f us; zmq: %.1f us; speed %.2f× of raw ZeroMQ",
                          hosts, raw, ours, raw / max(ours, 1e-9))
        if let rawMPI { line += String(format: "; raw ZeroMQ itself %.2f× of raw MPI", rawMPI / max(raw, 1e-9)) }
        print(line)
    }

    /// A raw peer's round trip in microseconds: its `round_trip_us=` field.
    func peerRoundTrip(name: String, executable: String, arguments: [String]) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        do { try process.run() } catch { throw ValidationError("the \(name) peer \(executable) did not start: \(error)") }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let field = text.split(separator: " ").first(where: { $0.hasPrefix("round_trip_us=") }),
              let raw = Double(field.dropFirst("round_trip_us=".count).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("the \(name) peer failed: \(text)")
        }
        return raw
    }

    func report(_ result: AlltoallBench.Result) throws {
        let rows = result.rows, averageBusBandwidth = result.averageBusBandwidth, wrong = result.wrongValues
        let ledgerCost = Self.nanosecondsPerRecord()
        let fastest = rows.map(\.roundTripSeconds).min() ?? 0
        let overhead = fastest > 0 ? ledgerCost * 1e-9 * Double(2 * hosts) / fastest : 0
        let gb = 1e-9
        let object: [String: Any] = [
            "transport": transport.rawValue, "security": security.rawValue, "hosts": hosts, "hidden": hidden, "experts": experts, "topk": topk, "dtype": dtype.rawValue,
            "iterations": iterations, "warmup": warmup, "bus_factor": AlltoallRow.busFactor, "avg_busbw_gb_per_s": averageBusBandwidth * gb,
            "wrong": wrong, "ledger_ns_per_record": ledgerCost, "ledger_share_of_fastest_round_trip": overhead,
            "rows": rows.map { r in
                ["tokens": r.tokens, "idle_gap_seconds": r.idleGapSeconds, "exchanges": r.exchanges, "size_bytes": r.size, "count": r.count, "type": dtype.rawValue,
                 "dispatch_seconds": r.dispatchSeconds, "dispatch_algbw_gb_per_s": r.dispatchAlgorithmBandwidth * gb,
                 "dispatch_busbw_gb_per_s": r.dispatchBusBandwidth * gb, "combine_seconds": r.combineSeconds,
                 "combine_algbw_gb_per_s": r.combineAlgorithmBandwidth * gb, "combine_busbw_gb_per_s": r.combineBusBandwidth * gb,
                 "round_trip_seconds": r.roundTripSeconds, "wrong": r.wrongValues,
                 "dispatch_wire_bytes": r.dispatchWireBytes, "combine_wire_bytes": r.combineWireBytes] as [String: Any]
            },
        ]
        if try !JSONOption.write(object, to: json) {
            printTable(rows, averageBusBandwidth: averageBusBandwidth, wrong: wrong)
            print(String(format: "# traffic ledger: %.1f ns per record, %d records per exchange: %.3f%% of the fastest round trip (target ≤ 2%%)", ledgerCost, 2 * hosts, overhead * 100))
        }
        guard wrong == 0 else { throw ClusterFailure("all-to-all: \(wrong) returned values differ from what the hosts were sent (see #wrong)") }
    }

    func printTable(_ rows: [AlltoallRow], averageBusBandwidth: Double, wrong: Int) {
        func us(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1e6) }
        func gbps(_ bytesPerSecond: Double) -> String { String(format: "%.2f", bytesPerSecond / 1e9) }
        print("# all-to-all over \(transport.rawValue)\(security == .curve ? " with CURVE" : ""): \(hosts) hosts, hidden \(hidden), \(experts) experts, top \(topk), \(dtype.rawValue); median of \(iterations) after \(warmup) warm-up")
        print("# size = count × bytes of type: the activations the coordinator sends per exchange and gets back; busbw = algbw × \(Int(AlltoallRow.busFactor)) (the coordinator's link carries every byte)")
        print("# combine starts when the last dispatch has left the coordinator; #wrong: returned values that fail the check, all exchanges of the row")
        // The idle column only when some exchange waited: the default table stays nccl-tests' shape.
        let idle = rows.contains { $0.idleGapSeconds > 0 }
        print("#                                      " + (idle ? "           " : "") + "---------- dispatch ----------  ----------------- combine -----------------")
        print(Table(header: ["tokens"] + (idle ? ["idle (us)"] : []) + ["size (B)", "count (elements)", "type", "time (us)", "algbw (GB/s)", "busbw (GB/s)",
                                                                        "time (us)", "algbw (GB/s)", "busbw (GB/s)", "#wrong", "round trip (us)"],
                    rows: rows.map { r in
            [String(r.tokens)] + (idle ? [us(r.idleGapSeconds)] : []) + [String(r.size), String(r.count), dtype.rawValue,
             us(r.dispatchSeconds), gbps(r.dispatchAlgorithmBandwidth), gbps(r.dispatchBusBandwidth),
             us(r.combineSeconds), gbps(r.combineAlgorithmBandwidth), gbps(r.combineBusBandwidth), String(r.wrongValues), us(r.roundTripSeconds)]
        }, rightAligned: Set(0...(idle ? 12 : 11)).subtracting([idle ? 4 : 3])).render())
        print("# Wrong values         : \(wrong) \(wrong == 0 ? "OK" : "FAILED")")
        print(String(format: "# Avg bus bandwidth    : %.3f GB/s", averageBusBandwidth / 1e9))
    }

    /// What recording one message costs, measured on a recorder like the runtime's.
    static func nanosecondsPerRecord(count: Int = 1 << 20) -> Double {
        let recorder = TrafficRecorder(context: TrafficContext(hosts: 8, layers: 1, experts: 8, hidden: 8, payload: .f32, transport: .inproc), capacity: count)
        // Built as the runtime builds its records: from the frame, by the one builder.
        let frame = WireFrame(host: 0, body: .combine(Combine(tokens: [0], partialSums: ActivationRows(rows: 1, width: 2, floats: [0, 0], as: .f32))))
        let start = ContinuousClock.now
        for _ in 0..<count {
            recorder.record(TrafficRecord(frame, wireBytes: 80, slots: 1, step: 0, sent: ProtocolTime(nanoseconds: TrafficClock.now())))
        }
        return elapsedSeconds(ContinuousClock.now - start) * 1e9 / Double(count)
    }
}

extension AlltoallBench.Transport: ExpressibleByArgument {}
extension ClusterSecurity: ExpressibleByArgument {}
