import Foundation
import Testing
import SwitchyardTestSupport

/// Malformed files and flag values, each given to the built `switchyard` as a user would: every
/// one must exit 2 with a message naming the file (or flag) and the field, within a deadline,
/// never crash, hang or run on.
@Suite struct MalformedInputTests {
    static let switchyard = TestProducts.executable("switchyard")

    @Test(arguments: MalformedInput.all)
    func exitsTwoNamingTheFileAndTheField(_ input: MalformedInput) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sy-malformed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, contents) in input.files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            switch contents {
            case let .bytes(data): try data.write(to: URL(fileURLWithPath: path))
            case .fifo: try #require(mkfifo(path, 0o600) == 0)
            case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
        }
        let arguments = input.arguments.map { $0.replacingOccurrences(of: "$DIR", with: dir) }
        let result = try Subprocess.run(Self.switchyard, arguments, directory: dir, timeout: .seconds(60))
        #expect(result.status == 2, "exit \(result.status)\nstderr: \(result.stderr)")
        for fragment in input.mentions.map({ $0.replacingOccurrences(of: "$DIR", with: dir) }) {
            #expect(result.stderr.contains(fragment), "stderr lacks \"\(fragment)\": \(result.stderr)")
        }
    }
}

/// One malformed input: the files it needs, the command line, and what the error must name.
struct MalformedInput: Sendable, CustomTestStringConvertible {
    enum Contents: Sendable {
        case bytes(Data)
        case fifo
        case directory
    }

    var name: String
    var files: [(String, Contents)]
    var arguments: [String]
    var mentions: [String]

    var testDescription: String { name }

    static var all: [MalformedInput] { configs + checkpoints + topologies + clusters + flags }

    // MARK: config.json

    /// A small valid config (the tiny preset's shape), as a JSON object to spoil.
    static var config: [String: Any] { [
        "model_type": "mistral4", "vocab_size": 512, "hidden_size": 64, "intermediate_size": 192, "moe_intermediate_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "q_lora_rank": 32, "kv_lora_rank": 16,
        "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8, "n_routed_experts": 8, "num_experts_per_tok": 2,
        "n_shared_experts": 1, "n_group": 1, "topk_group": 1, "first_k_dense_replace": 0, "max_position_embeddings": 128,
        "rope_parameters": ["rope_type": "yarn", "rope_theta": 10000, "factor": 4, "original_max_position_embeddings": 64,
                            "beta_fast": 32, "beta_slow": 1, "mscale": 1, "mscale_all_dim": 1],
    ] }

    static func json(_ object: Any) -> Contents {
        .bytes(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func config(_ change: (inout [String: Any]) -> Void) -> Contents {
        var object = config
        change(&object)
        return json(object)
    }

    static func rope(_ key: String, _ value: Any?) -> Contents {
        config { c in
            var rope = c["rope_parameters"] as! [String: Any]
            rope[key] = value
            c["rope_parameters"] = rope
        }
    }

    /// `model info` on a config.json with one field changed; the error names the file and the field.
    static func badConfig(_ field: String, _ value: Any?, command: [String] = ["model", "info"]) -> MalformedInput {
        MalformedInput(name: "config.json \(field) = \(value.map { "\($0)" } ?? "missing")",
                       files: [("config.json", config { $0[field] = value })],
                       arguments: command + ["$DIR/config.json"], mentions: ["config.json", field])
    }

    static func badRope(_ key: String, _ value: Any?) -> MalformedInput {
        MalformedInput(name: "config.json rope_parameters.\(key) = \(value.map { "\($0)" } ?? "missing")",
                       files: [("config.json", rope(key, value))],
                       arguments: ["generate", "--model", "$DIR/config.json", "--tokens", "1,2", "--max-new-tokens", "1"],
                       mentions: ["config.json", "rope_parameters.\(key)"])
    }

    static var configs: [MalformedInput] {
        [
            badConfig("vocab_size", 1 << 62),
            badConfig("vocab_size", 100_000_000_000, command: ["generate", "--tokens", "1", "--max-new-tokens", "1", "--model"]),
            badConfig("vocab_size", 0),
            badConfig("vocab_size", "many"),
            badConfig("vocab_size", 1e20),
            badConfig("hidden_size", 1 << 40),
            badConfig("hidden_size", nil),
            badConfig("num_hidden_layers", 1_000_000),
            // Found by `make fuzz`: a negative layer count once trapped building the range of first_k_dense_replace.
            badConfig("num_hidden_layers", -192),
            badConfig("n_routed_experts", 1_000_000_000),
            badConfig("num_experts_per_tok", 0),
            badConfig("moe_intermediate_size", -1),
            badConfig("max_position_embeddings", 1 << 40),
            badConfig("kv_lora_rank", 1 << 20),
            badConfig("qk_rope_head_dim", 7),
            badConfig("q_lora_rank", 0),
            badConfig("n_shared_experts", 1000),
            badConfig("topk_group", 2),
            badConfig("n_group", 3),
            badConfig("rms_norm_eps", 0),
            badConfig("routed_scaling_factor", 0),
            badRope("beta_fast", 0),
            badRope("beta_slow", 0),
            badRope("beta_fast", 0.5),
            badRope("factor", 0.5),
            badRope("factor", 1e300),
            badRope("rope_theta", 0),
            badRope("rope_theta", 1),
            badRope("mscale", -5),
            badRope("mscale_all_dim", 1e9),
            badRope("llama_4_scaling_beta", -1),
            badRope("original_max_position_embeddings", 0),
            badRope("original_max_position_embeddings", nil),
            badRope("rope_type", "linear"),
            MalformedInput(name: "config.json in text_config", files: [("config.json", json(["text_config": config.merging(["vocab_size": 1 << 62]) { $1 }]))],
                           arguments: ["model", "info", "$DIR/config.json"], mentions: ["config.json", "text_config.vocab_size"]),
            MalformedInput(name: "config.json not JSON", files: [("config.json", .bytes(Data("{\"vocab_size\": ".utf8)))],
                           arguments: ["model", "info", "$DIR/config.json"], mentions: ["config.json", "(file)"]),
            MalformedInput(name: "config.json a FIFO", files: [("config.json", .fifo)],
                           arguments: ["model", "info", "$DIR/config.json"], mentions: ["config.json", "not a regular file"]),
            MalformedInput(name: "config.json a directory", files: [("config.json", .directory)],
                           arguments: ["model", "info", "$DIR/config.json"], mentions: ["config.json", "not a regular file"]),
            MalformedInput(name: "config.json of 5 MB", files: [("config.json", .bytes(Data(repeating: 0x20, count: 5 << 20)))],
                           arguments: ["model", "info", "$DIR/config.json"], mentions: ["config.json", "bytes allowed"]),
        ]
    }

    // MARK: Checkpoints: safetensors headers and the index

    /// A safetensors file: the 8-byte length (or `length`), the header, `data` bytes of zeros.
    static func safetensors(_ header: String, data: Int = 16, length: UInt64? = nil) -> Contents {
        var bytes = Data()
        let headerBytes = Data(header.utf8)
        withUnsafeBytes(of: (length ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(headerBytes)
        bytes.append(Data(repeating: 0, count: data))
        return .bytes(bytes)
    }

    /// `generate --checkpoint` on a directory with a valid config.json and these files.
    static func checkpoint(_ name: String, _ files: [(String, Contents)], mentions: [String]) -> MalformedInput {
        MalformedInput(name: "checkpoint: \(name)", files: [("ckpt/config.json", json(config))] + files.map { ("ckpt/" + $0.0, $0.1) },
                       arguments: ["generate", "--checkpoint", "$DIR/ckpt", "--tokens", "1", "--max-new-tokens", "1"], mentions: mentions)
    }

    static func header(_ name: String, _ contents: Contents, tensor: String? = nil) -> MalformedInput {
        checkpoint(name, [("model.safetensors", contents)], mentions: ["model.safetensors"] + (tensor.map { ["tensor '\($0)'"] } ?? []))
    }

    static var checkpoints: [MalformedInput] {
        let t = "model.embed_tokens.weight"
        return [
            header("absurd header length", safetensors("{}", length: 1 << 63)),
            header("header length past the end", safetensors("{}", length: 4096)),
            header("shorter than 8 bytes", .bytes(Data([1, 2, 3]))),
            header("header not JSON", safetensors("{\"a\": [")),
            header("header a JSON array", safetensors("[1, 2]")),
            header("unknown dtype", safetensors("{\"\(t)\": {\"dtype\": \"Q4\", \"shape\": [2, 2], \"data_offsets\": [0, 8]}}"), tensor: t),
            header("negative dimension", safetensors("{\"\(t)\": {\"dtype\": \"F32\", \"shape\": [-2, 2], \"data_offsets\": [0, 16]}}"), tensor: t),
            header("shape overflows", safetensors("{\"\(t)\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4611686018427387904], \"data_offsets\": [0, 16]}}"), tensor: t),
            header("offsets reversed", safetensors("{\"\(t)\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}"), tensor: t),
            header("offsets past the data", safetensors("{\"\(t)\": {\"dtype\": \"F32\", \"shape\": [1000], \"data_offsets\": [0, 4000]}}"), tensor: t),
            header("offsets not matching the shape", safetensors("{\"\(t)\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 16]}}"), tensor: t),
            header("offsets of 2^63", safetensors("{\"\(t)\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [9223372036854775807, 9223372036854775807]}}"), tensor: t),
            header("overlapping tensors", safetensors("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}"), tensor: "b"),
            header("metadata not strings", safetensors("{\"__metadata__\": {\"format\": 1}}")),
            header("shard a FIFO", .fifo),
            checkpoint("index not JSON", [("model.safetensors.index.json", .bytes(Data("{".utf8)))], mentions: ["model.safetensors.index.json"]),
            checkpoint("index without weight_map", [("model.safetensors.index.json", json(["metadata": [:]]))], mentions: ["model.safetensors.index.json", "weight_map"]),
            checkpoint("index naming a path", [("model.safetensors.index.json", json(["weight_map": [t: "../escape.safetensors"]]))],
                       mentions: ["model.safetensors.index.json", "../escape.safetensors"]),
            checkpoint("index naming a missing shard", [("model.safetensors.index.json", json(["weight_map": [t: "gone.safetensors"]]))],
                       mentions: ["model.safetensors.index.json", "gone.safetensors"]),
            checkpoint("index a FIFO", [("model.safetensors.index.json", .fifo)], mentions: ["model.safetensors.index.json", "not a regular file"]),
            checkpoint("index shard a FIFO", [("model.safetensors.index.json", json(["weight_map": [t: "shard.safetensors"]])), ("shard.safetensors", .fifo)],
                       mentions: ["shard.safetensors", "not a regular file"]),
            MalformedInput(name: "checkpoint: config.json a FIFO", files: [("ckpt/config.json", .fifo), ("ckpt/model.safetensors", safetensors("{}"))],
                           arguments: ["generate", "--checkpoint", "$DIR/ckpt", "--tokens", "1", "--max-new-tokens", "1"],
                           mentions: ["config.json", "not a regular file"]),
            MalformedInput(name: "checkpoint: config.json vocab 2^62", files: [("ckpt/config.json", config { $0["vocab_size"] = 1 << 62 }), ("ckpt/model.safetensors", safetensors("{}"))],
                           arguments: ["generate", "--checkpoint", "$DIR/ckpt", "--tokens", "1", "--max-new-tokens", "1"],
                           mentions: ["config.json", "vocab_size"]),
        ]
    }

    // MARK: Topology files

    static var gpuModels: [String: Any] { ["H": ["memory": "80 GB", "hbm_bandwidth": "3 TB/s", "dense_throughput": ["bf16": "989 TFLOPS"]]] }
    static var scaleUp: [String: Any] { ["bandwidth_each_way": "450 GB/s", "latency": "3 us"] }
    static var scaleOut: [String: Any] { ["nics_per": "gpu", "nic_count": 1, "nic_bandwidth": "400 Gb/s", "latency": "5 us"] }

    static func topology(gpus: Any = 8, nodes: Int = 1, models: [String: Any] = gpuModels, scaleUp: [String: Any] = scaleUp,
                         scaleOut: [String: Any]? = scaleOut) -> Contents {
        var object: [String: Any] = ["gpu_models": models, "scale_up": scaleUp,
                                     "nodes": (0..<nodes).map { ["name": "n\($0)", "gpu_model": "H", "gpus": gpus] }]
        if let scaleOut { object["scale_out"] = scaleOut }
        return json(object)
    }

    static func badTopology(_ name: String, _ contents: Contents, path: String, extra: [(String, Contents)] = []) -> MalformedInput {
        MalformedInput(name: "topology: \(name)", files: [("t.json", contents)] + extra,
                       arguments: ["topology", "validate", "$DIR/t.json"], mentions: ["t.json", path])
    }

    static func wakeUpPoint(_ idle: String, latency: String = "10 us") -> [String: Any] { ["idle": idle, "latency": latency, "message_cost": "1 us"] }

    static func model(_ key: String, _ value: Any) -> [String: Any] {
        var model = gpuModels["H"] as! [String: Any]
        model[key] = value
        return ["H": model]
    }

    static var topologies: [MalformedInput] {
        [
            badTopology("gpus 1e14", topology(gpus: 1e14), path: "$.nodes[0].gpus"),
            badTopology("gpus -1", topology(gpus: -1), path: "$.nodes[0].gpus"),
            badTopology("gpus 1.5", topology(gpus: 1.5), path: "$.nodes[0].gpus"),
            badTopology("2000 GPU names", topology(gpus: (0..<2000).map { "g\($0)" }), path: "$.nodes[0].gpus"),
            badTopology("5000 nodes", topology(gpus: 1, nodes: 5000), path: "$.nodes"),
            badTopology("70000 GPUs", topology(gpus: 1000, nodes: 70), path: "$.nodes"),
            badTopology("node_count 1e12", json(["base": "base.json", "node_count": 1e12]), path: "$.node_count", extra: [("base.json", topology())]),
            badTopology("node_count 0", json(["base": "base.json", "node_count": 0]), path: "$.node_count", extra: [("base.json", topology())]),
            badTopology("node_count × GPUs past the ceiling", json(["base": "base.json", "node_count": 4000]), path: "$.node_count",
                        extra: [("base.json", topology(gpus: 1024))]),
            MalformedInput(name: "topology: base a FIFO", files: [("t.json", json(["base": "base.json", "node_count": 2])), ("base.json", .fifo)],
                           arguments: ["topology", "validate", "$DIR/t.json"], mentions: ["base.json", "not a regular file"]),
            badTopology("nic_count 1e9", topology(scaleOut: scaleOut.merging(["nic_count": 1e9]) { $1 }), path: "$.scale_out.nic_count"),
            badTopology("memory 1e30 GB", topology(models: model("memory", "1e30 GB")), path: "$.gpu_models.H.memory"),
            badTopology("bandwidth 1e-300 GB/s", topology(models: model("hbm_bandwidth", "1e-300 GB/s")), path: "$.gpu_models.H.hbm_bandwidth"),
            badTopology("throughput 1e300", topology(models: model("dense_throughput", ["bf16": 1e300])), path: "$.gpu_models.H.dense_throughput.bf16"),
            badTopology("latency a billion seconds", topology(scaleOut: scaleOut.merging(["latency": "1e9 s"]) { $1 }), path: "$.scale_out.latency"),
            badTopology("wake_up out of order", topology(scaleUp: scaleUp.merging(["wake_up": [wakeUpPoint("2 ms"), wakeUpPoint("1 ms")]]) { $1 }),
                        path: "$.scale_up.wake_up[1].idle"),
            badTopology("wake_up 1000 points", topology(scaleUp: scaleUp.merging(["wake_up": (1...1000).map { wakeUpPoint("\($0) us") }]) { $1 }),
                        path: "$.scale_up.wake_up"),
            badTopology("wake_up latency a billion seconds", topology(scaleUp: scaleUp.merging(["wake_up": [wakeUpPoint("1 ms", latency: "1e9 s")]]) { $1 }),
                        path: "$.scale_up.wake_up[0].latency"),
            MalformedInput(name: "topology: a FIFO", files: [("t.json", .fifo)], arguments: ["topology", "validate", "$DIR/t.json"],
                           mentions: ["t.json", "not a regular file"]),
            MalformedInput(name: "topology: a FIFO for simulate", files: [("t.json", .fifo)],
                           arguments: ["simulate", "--model", "tiny", "--topology", "$DIR/t.json", "--phase", "decode", "--batch", "4"],
                           mentions: ["t.json", "not a regular file"]),
        ]
    }

    // MARK: Cluster files

    static func cluster(hosts: [[String: Any]]? = nil, change: (inout [String: Any]) -> Void = { _ in }) -> Contents {
        var object: [String: Any] = [
            "topology": "t.json", "transport": "zmq",
            "coordinator": ["endpoint": "tcp://127.0.0.1:5000", "device": ["node": 0, "gpu": 0]],
            "hosts": hosts ?? (0..<2).map { ["endpoint": "tcp://127.0.0.1:\(5001 + $0)", "device": ["node": 0, "gpu": $0]] },
        ]
        change(&object)
        return json(object)
    }

    static func badCluster(_ name: String, _ contents: Contents, path: String) -> MalformedInput {
        MalformedInput(name: "cluster: \(name)", files: [("c.json", contents)],
                       arguments: ["cluster", "validate", "$DIR/c.json"], mentions: ["c.json", path])
    }

    static var clusters: [MalformedInput] {
        [
            badCluster("5000 hosts", cluster(hosts: (0..<5000).map { ["endpoint": "tcp://127.0.0.1:\(1 + $0)", "device": ["node": 0, "gpu": $0]] }), path: "$.hosts"),
            badCluster("device node 1e12", cluster(hosts: [["endpoint": "tcp://h:1", "device": ["node": 1e12, "gpu": 0]]]), path: "$.hosts[0].device.node"),
            badCluster("device gpu 1e9", cluster(hosts: [["endpoint": "tcp://h:1", "device": ["node": 0, "gpu": 1e9]]]), path: "$.hosts[0].device.gpu"),
            badCluster("port 1e10", cluster(hosts: [["address": "h", "port": 1e10, "device": ["node": 0, "gpu": 0]]]), path: "$.hosts[0].port"),
            badCluster("endpoint port of 20 digits", cluster(hosts: [["endpoint": "tcp://h:99999999999999999999", "device": ["node": 0, "gpu": 0]]]), path: "$.hosts[0].endpoint"),
            badCluster("MPI rank 1e14", cluster(hosts: [["rank": 1e14, "device": ["node": 0, "gpu": 0]]]) {
                $0["transport"] = "mpi"
                $0["coordinator"] = ["rank": 0, "device": ["node": 0, "gpu": 0]]
            }, path: "$.hosts[0].rank"),
            badCluster("explicit placement of 10000 experts", cluster { $0["placement"] = ["explicit": Array(repeating: 0, count: 10000)] }, path: "$.placement.explicit"),
            badCluster("explicit host 1e12", cluster { $0["placement"] = ["explicit": [1e12]] }, path: "$.placement.explicit[0]"),
            badCluster("explicit placement too short", cluster { $0["placement"] = ["explicit": [0, 1]] }, path: "$.placement"),
            MalformedInput(name: "cluster: a FIFO", files: [("c.json", .fifo)], arguments: ["cluster", "validate", "$DIR/c.json"],
                           mentions: ["c.json", "not a regular file"]),
            MalformedInput(name: "cluster: a FIFO for run", files: [("c.json", .fifo)], arguments: ["run", "--cluster", "$DIR/c.json", "--model", "tiny"],
                           mentions: ["c.json", "not a regular file"]),
        ]
    }

    // MARK: Numeric flags

    static func badFlag(_ flag: String, _ arguments: [String]) -> MalformedInput {
        MalformedInput(name: "flag \(flag): \(arguments.joined(separator: " "))", files: [], arguments: arguments, mentions: [flag])
    }

    static let huge = String(1 << 62)

    static var flags: [MalformedInput] {
        let alltoall = ["simulate", "alltoall", "--topology", "hgx-h100", "--ranks", "8", "--tokens-per-rank", "16", "--hidden", "64", "--experts", "16", "--topk", "2"]
        func replacing(_ flag: String, _ value: String, in line: [String]) -> [String] {
            var line = line
            line[line.firstIndex(of: flag)! + 1] = value
            return line
        }
        let simulate = ["simulate", "--model", "tiny", "--topology", "hgx-h100", "--phase", "decode", "--batch", "4"]
        let run = ["run", "--model", "tiny", "--transport", "inproc", "--requests", "1"]
        return [
            badFlag("--tokens-per-rank", replacing("--tokens-per-rank", huge, in: alltoall)),
            badFlag("--hidden", replacing("--hidden", String(1 << 40), in: alltoall)),
            badFlag("--experts", replacing("--experts", String(1 << 40), in: alltoall)),
            badFlag("--ranks", replacing("--ranks", String(1 << 40), in: alltoall)),
            badFlag("--topk", replacing("--topk", "-3", in: alltoall)),
            badFlag("--tokens-per-rank", replacing("--tokens-per-rank", "99999999999999999999", in: alltoall)),
            badFlag("--batch", replacing("--batch", huge, in: simulate)),
            badFlag("--context", simulate + ["--context", huge]),
            badFlag("--batch", replacing("--batch", "1000000", in: simulate) + ["--steps", "100000"]),
            badFlag("--coordinator-gpus", simulate + ["--coordinator-gpus", String(1 << 40)]),
            badFlag("--prefill-batch", ["compare", "--model", "tiny", "--prefill-batch", huge, "hgx-h100"]),
            badFlag("--context", ["plan", "--model", "tiny", "--topology", "hgx-h100", "--context", huge]),
            badFlag("--reserve-gib", ["plan", "--model", "tiny", "--topology", "hgx-h100", "--reserve-gib", "1e300"]),
            badFlag("--reserve-gib", ["plan", "--model", "tiny", "--topology", "hgx-h100", "--reserve-gib", "nan"]),
            badFlag("--hidden", ["bench", "experts", "--hidden", String(1 << 40)]),
            badFlag("--hidden", ["bench", "experts", "--hidden", "65536", "--intermediate", "262144", "--decode-experts", "256"]),
            badFlag("--experts", ["bench", "alltoall", "--transport", "inproc", "--experts", String(1 << 40)]),
            badFlag("--batch", ["bench", "simulator", "--batch", huge]),
            badFlag("--gemm-size", ["bench", "machine", "--gemm-size", huge]),
            badFlag("--shard-mib", ["checkpoint", "synth", "--model", "tiny", "--out", "$DIR/ck", "--shard-mib", huge]),
            badFlag("--max-step-tokens", run + ["--max-step-tokens", String(1 << 40)]),
            badFlag("--metrics-linger", run + ["--metrics-port", "0", "--metrics-linger", "99999"]),
            badFlag("--metrics-linger", run + ["--metrics-linger", "5"]),
            badFlag("--metrics-port", run + ["--metrics-port", "70000"]),
            badFlag("--max-batch", run + ["--max-batch", huge]),
            badFlag("--handshake-timeout", run + ["--handshake-timeout", huge]),
            badFlag("--max-new-tokens", ["generate", "--model", "tiny", "--tokens", "1", "--max-new-tokens", huge]),
            badFlag("--tokens", ["generate", "--model", "tiny", "--tokens", "1,99999999999999999999"]),
        ]
    }
}
