import Foundation
import Testing
import SwitchyardTestSupport

/// The run directory's traffic files, the report and traffic commands, and bench alltoall, as a
/// user runs them.
@Suite(.serialized) struct TrafficRunTests {
    let switchyard = TestProducts.executable("switchyard")

    func folder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sy-traffic-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    func jsonLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test(arguments: ["inproc", "zmq"])
    func aRunLeavesItsTrafficAndAReport(transport: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let run = try Subprocess.run(switchyard, ["run", "--model", "tiny", "--requests", "3", "--prompt-tokens", "4", "--new-tokens", "3",
                                                  "--transport", transport, "--out", out], timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stderr)")
        for file in ["summary.json", "traffic.jsonl", "traffic.csv", "report.html"] + (0..<8).map({ "traffic-host-\($0).jsonl" }) {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file) missing")
        }
        let lines = try jsonLines(out + "/traffic.jsonl")
        #expect(lines[0]["schema"] as? String == "switchyard-traffic" && lines[0]["version"] as? Int == 1)
        let messages = lines.filter { $0["type"] as? String == "message" }
        let wire = messages.reduce(0) { $0 + ($1["wire_bytes"] as! Int) }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let traffic = summary["traffic"] as! [String: Any]
        #expect(traffic["wire_bytes"] as? Int == wire)
        let layers = summary["layers"] as! [[String: Any]]
        #expect(layers.reduce(0) { $0 + ($1["dispatch_bytes"] as! Int) + ($1["combine_bytes"] as! Int) } == wire)
        // Host files hold the other end of every message.
        let hostMessages = try (0..<8).flatMap { try jsonLines(out + "/traffic-host-\($0).jsonl").dropFirst() }
        #expect(hostMessages.count == messages.count)

        let report = try Subprocess.run(switchyard, ["report", out])
        #expect(report.status == 0 && report.stdout.contains("report.html"), "\(report.stderr)")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && !html.contains("<script") && html.contains("projected onto dgx-b200"))
        let printed = try Subprocess.run(switchyard, ["traffic", out])
        #expect(printed.status == 0 && printed.stdout.contains("coordinator") && printed.stdout.contains("host imbalance"), "\(printed.stderr)")
        #expect(!printed.stdout.contains("coordinator → host 0         0"))

        // The recorded routing replays through the simulator with the run's bytes per layer.
        let replay = try Subprocess.run(switchyard, ["simulate", "--model", "tiny", "--topology", "hgx-h100-x4", "--routing", "trace:" + out, "--json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let replayed = try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as! [String: Any]
        let perLayer = (replayed["layers"] as! [[String: Any]]).map { ($0["layer"] as! Int, Int($0["bytes"] as! Double)) }
        #expect(perLayer.map(\.0) == layers.map { $0["layer"] as! Int })
        for (l, bytes) in perLayer {
            let layer = layers.first { $0["layer"] as! Int == l }!
            #expect(bytes == (layer["dispatch_bytes"] as! Int) + (layer["combine_bytes"] as! Int))
        }
    }

    @Test func aBrokenTrafficFileIsAnInputError() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"schema\":\"switchyard-traffic\",\"version\":9}\n".write(toFile: dir + "/traffic.jsonl", atomically: true, encoding: .utf8)
        let result = try Subprocess.run(switchyard, ["traffic", dir])
        #expect(result.status == 2)
        #expect(result.stderr.contains(dir + "/traffic.jsonl: line 1: version"), "\(result.stderr)")
        let missing = try Subprocess.run(switchyard, ["report", dir + "/nothing"])
        #expect(missing.status == 2 && missing.stderr.contains("traffic.jsonl: not found"))
    }

    @Test(arguments: ["inproc", "zmq", "mpi"])
    func benchAlltoallPrintsARowPerTokenCount(transport: String) throws {
        let mpi = MPISession()
        defer { mpi.remove() }
        let result = try Subprocess.run(switchyard, ["bench", "alltoall", "--transport", transport, "--hosts", "3", "--tokens", "8", "--hidden", "256",
                                                     "--experts", "12", "--topk", "2", "--iters", "3", "--warmup", "1", "--json"],
                                        environment: mpi.environment, timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let rows = object["rows"] as! [[String: Any]]
        #expect(rows.map { $0["tokens"] as! Int } == [1, 2, 4, 8])
        #expect(rows.allSatisfy { ($0["dispatch_seconds"] as! Double) > 0 && ($0["combine_seconds"] as! Double) > 0 && ($0["exchanges"] as! Int) == 3 })
        // Every returned value checked, none wrong; size is count values of bf16; busbw = algbw × the stated factor 1.
        #expect(object["wrong"] as? Int == 0 && rows.allSatisfy { $0["wrong"] as? Int == 0 && $0["type"] as? String == "bf16" })
        #expect((object["bus_factor"] as? NSNumber)?.doubleValue == 1)
        #expect(rows.allSatisfy { ($0["size_bytes"] as! Int) == 2 * ($0["count"] as! Int) })
        #expect(rows.allSatisfy { ($0["combine_busbw_gb_per_s"] as! Double) == ($0["combine_algbw_gb_per_s"] as! Double) })
        let busbw = rows.flatMap { [$0["dispatch_busbw_gb_per_s"] as! Double, $0["combine_busbw_gb_per_s"] as! Double] }
        #expect(abs((object["avg_busbw_gb_per_s"] as! Double) - busbw.reduce(0, +) / Double(busbw.count)) <= 1e-9 * (object["avg_busbw_gb_per_s"] as! Double))
        // 8 tokens × 2 experts each reach at most 3 hosts: every row's dispatch carries its tokens' activations at least once.
        #expect((rows[3]["count"] as! Int) >= 8 * 256 && (rows[3]["dispatch_wire_bytes"] as! Int) > (rows[3]["size_bytes"] as! Int))
    }

    /// With CURVE, as a run's links are: keys made for the bench, every value back right; only ZeroMQ has it.
    @Test func benchAlltoallRunsOverCurve() throws {
        let result = try Subprocess.run(switchyard, ["bench", "alltoall", "--transport", "zmq", "--security", "curve", "--hosts", "3", "--tokens", "8",
                                                     "--hidden", "256", "--experts", "12", "--topk", "2", "--iters", "3", "--warmup", "1", "--json"],
                                        timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(object["security"] as? String == "curve" && object["wrong"] as? Int == 0)
        #expect((object["rows"] as! [[String: Any]]).map { $0["tokens"] as! Int } == [1, 2, 4, 8])
        for transport in ["mpi", "inproc"] {
            let refused = try Subprocess.run(switchyard, ["bench", "alltoall", "--transport", transport, "--security", "curve"])
            #expect(refused.status == 2 && refused.stderr.contains("--security curve is for --transport zmq"), "\(refused.stderr)")
        }
    }

    /// The raw-MPI peer (bench/raw_alltoall.c) runs on the same bytes and both round trips are printed.
    @Test(.enabled("needs mpicc and mpirun", { Executables.find("mpicc") != nil && Executables.find("mpirun") != nil }))
    func benchAlltoallPrintsTheRawMPIPeerBesideIt() throws {
        let mpi = MPISession()
        defer { mpi.remove() }
        let peer = mpi.folder.appendingPathComponent("raw_alltoall").path
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../bench/raw_alltoall.c").path
        let compiled = try Subprocess.run(try #require(Executables.find("mpicc")), ["-O2", "-o", peer, source], timeout: .seconds(60))
        try #require(compiled.status == 0, "\(compiled.stderr)")
        let result = try Subprocess.run(switchyard, ["bench", "alltoall", "--transport", "zmq", "--hosts", "2", "--tokens", "4", "--hidden", "64",
                                                     "--experts", "4", "--topk", "2", "--iters", "2", "--warmup", "0", "--raw-mpi", peer],
                                        environment: mpi.environment, timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("# raw MPI peer") }, "\(result.stdout)")
        #expect(line.contains("2 hosts: round trip") && line.contains("× of raw MPI"), "\(line)")
    }

    /// The raw-ZeroMQ peer (bench/raw_zmq_alltoall.c) runs on the same bytes and both round trips are printed.
    @Test(.enabled("needs a C compiler", { Executables.find("cc") != nil }))
    func benchAlltoallPrintsTheRawZeroMQPeerBesideIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("raw-zmq-test-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let peer = folder.appendingPathComponent("raw_zmq_alltoall").path
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../bench/raw_zmq_alltoall.c").path
        let compiled = try Subprocess.run(try #require(Executables.find("cc")), ["-O2", "-o", peer, source, "-lzmq"], timeout: .seconds(60))
        try #require(compiled.status == 0, "\(compiled.stderr)")
        let result = try Subprocess.run(switchyard, ["bench", "alltoall", "--transport", "zmq", "--hosts", "2", "--tokens", "4", "--hidden", "64",
                                                     "--experts", "4", "--topk", "2", "--iters", "2", "--warmup", "0", "--raw-zmq", peer],
                                        timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("# raw ZeroMQ peer") }, "\(result.stdout)")
        #expect(line.contains("2 hosts: round trip") && line.contains("× of raw ZeroMQ"), "\(line)")
        // Bad sizes are refused with a usage error, not run.
        let refused = try Subprocess.run(peer, ["0", "10", "10", "1", "0"], timeout: .seconds(10))
        #expect(refused.status == 2 && refused.stderr.contains("hosts in 1...256"), "\(refused.stderr)")
    }

    @Test func benchAlltoallPrintsNcclStyleColumnsAndTheAverageBusBandwidth() throws {
        let result = try Subprocess.run(switchyard, ["bench", "alltoall", "--transport", "inproc", "--hosts", "2", "--tokens", "4", "--hidden", "64",
                                                     "--experts", "4", "--topk", "2", "--iters", "2", "--warmup", "0", "--dtype", "f32"], timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("tokens") })
        for column in ["size (B)", "count (elements)", "type", "time (us)", "algbw (GB/s)", "busbw (GB/s)", "#wrong"] {
            #expect(header.contains(column), "\(column) missing from \(header)")
        }
        #expect(lines.contains { $0.contains("busbw = algbw × 1") })
        #expect(lines.contains { $0.hasPrefix("# Avg bus bandwidth    : ") && $0.hasSuffix(" GB/s") })
        #expect(lines.contains("# Wrong values         : 0 OK"))
        let rows = lines.filter { $0.first?.isWhitespace == true && $0.contains(" f32 ") }
        #expect(rows.count == 3 && rows.allSatisfy { $0.split(separator: " ").count == 12 })
    }
}
