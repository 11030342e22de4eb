import Foundation
import Testing
import SwitchyardTestSupport

@Suite struct SimulatorCommandTests {
    let switchyard = TestProducts.executable("switchyard")
    static let presets = ["hgx-h100", "hgx-h200", "dgx-b200", "h100-x4", "h200-x2",
                          "hgx-h100-x4", "hgx-h200-x2", "hgx-h200-x4", "dgx-b200-x2"]
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.run(switchyard, arguments, directory: Self.repository.path, timeout: .seconds(120))
    }

    @Test func topologyValidateAcceptsEveryPreset() throws {
        let files = Self.presets.map { "topologies/\($0).json" } + ["topologies/hgx-h800.json", "topologies/hgx-h800-x32.json",
                                                                   "topologies/examples/h800-x8.json", "topologies/examples/mi300x-x8.json"]
        let result = try run(["topology", "validate"] + files)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").filter { $0.contains(": ok: ") }.count == files.count)
        #expect(result.stdout.contains("topologies/hgx-h100-x4.json: ok: hgx-h100-x4, 4 nodes, 32 GPUs"))
    }

    @Test(arguments: presets) func topologyShowPlanAndSimulateWorkOnEveryPreset(preset: String) throws {
        let show = try run(["topology", "show", preset])
        #expect(show.status == 0 && show.stdout.contains("totals"), "\(show.stderr)")
        let plan = try run(["plan", "--model", "mistral-small-4", "--topology", preset, "--json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any]
        #expect(object?["fits"] as? Bool == true, "\(preset) fp8 should fit")
        for phase in [("decode", "64"), ("prefill", "2048")] {
            for mode in ["disaggregated", "colocated"] {
                let sim = try run(["simulate", "--model", "mistral-small-4", "--topology", preset, "--phase", phase.0,
                                   "--batch", phase.1, "--mode", mode, "--routing", "zipf:1.1", "--overlap", "pingpong"])
                #expect(sim.status == 0, "\(preset) \(phase.0) \(mode): \(sim.stderr)")
                #expect(sim.stdout.contains("step time") && sim.stdout.contains("bottleneck"))
            }
        }
    }

    @Test func planVerdictAndAllTable() throws {
        let bf16 = try run(["plan", "--model", "mistral-small-4", "--topology", "h200-x2", "--weights", "bf16", "--json"])
        #expect(bf16.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(bf16.stdout.utf8)) as? [String: Any]
        #expect(object?["fits"] as? Bool == false)
        #expect((object?["verdict"] as? String)?.contains("does not fit") == true)
        #expect(object?["kv_bytes_per_token"] as? Double == 23_040)
        let text = try run(["plan", "--model", "mistral-small-4", "--topology", "h200-x2"])
        #expect(text.stdout.contains("FITS") && text.stdout.contains("22.5 KiB per token"))
        let all = try run(["plan", "--model", "mistral-small-4", "--all"])
        #expect(all.status == 0)
        for preset in Self.presets { #expect(all.stdout.contains("\n\(preset) "), "\(preset) missing") }
        #expect(all.stdout.split(separator: "\n").count == 2 + 1 + Self.presets.count * 3)
    }

    @Test func simulateWritesJSONAndASelfContainedReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-report-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try run(["simulate", "--model", "mistral-small-4", "--topology", "hgx-h100-x4", "--phase", "decode",
                              "--batch", "256", "--steps", "3", "--dispatch-dtype", "fp8", "--json", "--report", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["step_seconds"] as? Double ?? 0) > 0)
        #expect((object["time_per_output_token_seconds"] as? Double ?? 0) > 0)
        #expect((object["devices"] as? [Any])?.count == 32)
        #expect(object["dispatch"] is [String: Any] && object["combine"] is [String: Any])
        let html = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count == 3)   // the timeline and the heatmap
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"))
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
    }

    @Test func allToAllAndCompare() throws {
        let a2a = try run(["simulate", "alltoall", "--topology", "hgx-h100-x4", "--ranks", "32", "--tokens-per-rank", "128",
                           "--hidden", "4096", "--experts", "128", "--topk", "4", "--dispatch-dtype", "fp8"])
        #expect(a2a.status == 0, "\(a2a.stderr)")
        #expect(a2a.stdout.contains("dispatch") && a2a.stdout.contains("combine") && a2a.stdout.contains("NIC"))
        for algorithm in ["hierarchical", "low-latency"] {
            let run = try run(["simulate", "alltoall", "--topology", "hgx-h800-x32", "--ranks", "32", "--tokens-per-rank", "64", "--hidden", "7168",
                               "--experts", "256", "--topk", "8", "--dispatch-dtype", "fp8", "--algorithm", algorithm, "--routing", "node-limited:2", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
            #expect(rows.count == 2 && rows[0]["algorithm"] as? String == algorithm)
            #expect((rows[0]["nodes_per_token"] as? Double ?? 9) <= 2)
        }
        let compare = try run(["compare", "--model", "mistral-small-4", "--batch", "64", "h200-x2", "h100-x4", "hgx-h100", "hgx-h200", "dgx-b200"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let rows = compare.stdout.split(separator: "\n")
        #expect(rows.count == 3 + 5)
        #expect(rows.contains { $0.hasPrefix("h200-x2 ") && $0.contains(" no ") && $0.contains(" yes ") })   // bf16 no, fp8 yes
    }

    /// Writes a topology with one thing wrong and checks the exit code and message.
    func expectRejected(_ name: String, _ json: String, path: String, problem: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID()).json")
        try Data(json.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for arguments in [["topology", "validate", file.path], ["plan", "--model", "mistral-small-4", "--topology", file.path]] {
            let result = try run(arguments)
            #expect(result.status == 2, "\(name): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("\(file.path): \(path): "), "\(name): \(result.stderr)")
            #expect(result.stderr.contains(problem), "\(name): \(result.stderr)")
        }
    }

    func topology(gpuModel: String = #"{"memory": "80 GB", "hbm_bandwidth": "3.35 TB/s", "dense_throughput": {"bf16": "989 TFLOPS"}}"#,
                  gpus: String = "2", bandwidth: String = #""450 GB/s""#) -> String {
        #"{"gpu_models": {"G": \#(gpuModel)}, "nodes": [{"name": "node0", "gpu_model": "G", "gpus": \#(gpus)}], "scale_up": {"bandwidth_each_way": \#(bandwidth), "latency": "3 us"}}"#
    }

    @Test func badTopologiesExitTwoNamingFilePathAndProblem() throws {
        try expectRejected("missing", topology(gpuModel: #"{"hbm_bandwidth": "3.35 TB/s", "dense_throughput": {"bf16": 989}}"#),
                           path: "$.gpu_models.G.memory", problem: "is missing")
        try expectRejected("type", topology(gpus: #"{"count": 2}"#), path: "$.nodes[0].gpus", problem: "is an object, expected an array")
        try expectRejected("negative", topology(bandwidth: #""-450 GB/s""#), path: "$.scale_up.bandwidth_each_way", problem: "must be positive")
        try expectRejected("unit", topology(bandwidth: #""450 TFLOPS""#), path: "$.scale_up.bandwidth_each_way", problem: "wrong unit")
        try expectRejected("duplicate", topology(gpus: #"["a", "a"]"#), path: "$.nodes[0].gpus[1]", problem: "duplicate device name \"node0/a\"")
        try expectRejected("empty", topology(gpus: "[]"), path: "$.nodes[0].gpus", problem: "is empty")
    }

    @Test func badFlagsExitTwo() throws {
        let cases: [([String], String)] = [
            (["simulate", "--model", "mistral-small-4", "--topology", "hgx-h100", "--phase", "decode", "--batch", "8", "--routing", "trace:x.json"], "--routing"),
            (["simulate", "--model", "mistral-small-4", "--topology", "hgx-h100", "--phase", "decode", "--batch", "0"], "--batch"),
            (["simulate", "--model", "no-such-model", "--topology", "hgx-h100", "--phase", "decode", "--batch", "8"], "--model"),
            (["plan", "--model", "mistral-small-4", "--topology", "no-such-topology"], "--topology"),
            (["plan", "--model", "mistral-small-4", "--topology", "hgx-h100", "--coordinator-gpus", "8"], "--coordinator-gpus"),
            (["plan", "--model", "mistral-small-4", "--topology", "hgx-h100", "--weights", "fp16"], "--weights"),
            (["simulate", "alltoall", "--topology", "hgx-h100", "--ranks", "9", "--tokens-per-rank", "1", "--hidden", "8", "--experts", "8", "--topk", "2"], "--ranks"),
            (["simulate", "alltoall", "--topology", "hgx-h100", "--ranks", "8", "--tokens-per-rank", "1", "--hidden", "8", "--experts", "8", "--topk", "2", "--routing", "node-limited:0"], "--routing"),
            (["simulate", "alltoall", "--topology", "hgx-h100-x4", "--ranks", "32", "--tokens-per-rank", "1", "--hidden", "8", "--experts", "8", "--topk", "4", "--routing", "node-limited:1"], "--routing node-limited:1"),
            (["simulate", "alltoall", "--topology", "hgx-h100", "--ranks", "8", "--tokens-per-rank", "1", "--hidden", "8", "--experts", "8", "--topk", "2", "--algorithm", "ring"], "--algorithm"),
            (["simulate", "--model", "mistral-small-4", "--topology", "hgx-h100", "--routing", "trace:x", "--algorithm", "low-latency"], "--algorithm"),
        ]
        for (arguments, flag) in cases {
            let result = try run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(flag), "\(arguments): \(result.stderr)")
        }
    }
}
