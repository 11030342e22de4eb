import SwitchyardLaunch
import ArgumentParser
import SwitchyardModel
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardModelConfig
import SwitchyardCore

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Will the model fit? Weights per GPU, KV cache per token, and the sequences that fit.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard plan [<options>] --model <model> --topology <topology>\nswitchyard plan [<options>] --model <model> --all",
        discussion: """
        Experts go to the expert GPUs by placement; attention, routers, shared experts,
        embeddings and the LM head to each attention GPU (the coordinator's in
        disaggregated mode, every GPU in colocated mode); the KV cache fills what is
        left on the attention GPUs after a reserve.

        Examples:
          switchyard plan --model mistral-small-4 --topology h200-x2 --weights fp8
          switchyard plan --model mistral-small-4 --all
        Defaults: --weights fp8, --context 8192, --kv-dtype bf16, --reserve-gib 4,
        disaggregated, contiguous placement, one coordinator GPU.
        """
    )

    @Option(help: "A model preset (mistral-small-4, mini, tiny) or a config.json.") var model: String
    @Option(help: "A topology file or preset name (see topologies/).") var topology: String?
    @Option(help: "Weight format: bf16, fp8 or nvfp4.") var weights: WeightFormat = .fp8
    @Option(help: "Tokens per sequence the KV cache is counted in.") var context = 8192
    @Option(name: .customLong("kv-dtype"), help: "KV cache format: bf16 or fp8.") var kvDType: KVCacheDType = .bf16
    @Option(name: .customLong("reserve-gib"), help: "GiB per GPU kept for activations, buffers and the runtime.") var reserveGiB = 4.0
    @OptionGroup var deploymentOptions: DeploymentOptions
    @Flag(help: "One table over every preset topology and weight format.") var all = false
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        try FlagBounds.check([("--context", context, FlagBounds.context)])
        try FlagBounds.check("--reserve-gib", reserveGiB, 0...1_000_000)
        guard all || topology != nil else { throw ValidationError("give --topology FILE, or --all for every preset") }
    }

    func run() throws {
        let config = try ModelArgument.load(model)
        if all { return try runAll(config) }
        let topology = try TopologyArgument.load(self.topology!)
        let plan = try makePlan(config, topology, weights)
        if try JSONOption.write(jsonObject(plan, topology), to: json) { return }
        let f = ModelFootprint(config: config, weights: weights, kvCache: kvDType)
        print("\(model) on \(topology.name) (\(Plural.count(topology.devices.count, "GPU"))): \(weights.rawValue) weights, \(deploymentOptions.mode.rawValue), \(deploymentOptions.placement.rawValue) placement")
        print("weights: \(Format.bytes(plan.totalWeightBytes)) in all; one routed expert in every layer \(Format.bytes(f.expertBytesAcrossLayers)); attention side (one copy) \(Format.bytes(f.attentionSideBytes))")
        print("KV cache: \(Format.bytes(plan.kvBytesPerToken)) per token (\(config.kvCacheValuesPerTokenPerLayer) values × \(config.numHiddenLayers) layers at \(kvDType.rawValue))")
        print("")
        print(Table(header: ["device", "role", "experts", "memory", "weights", "reserve", "free", "KV tokens", "sequences"], rows: plan.devices.map {
            [$0.name, $0.role, String($0.experts), Format.bytes($0.capacityBytes), Format.bytes($0.weightBytes), Format.bytes($0.reserveBytes),
             Format.bytes($0.freeBytes), String($0.kvTokens), String($0.sequences)]
        }, rightAligned: [2, 3, 4, 5, 6, 7, 8]).render())
        print("")
        print("\(plan.fits ? "FITS" : "DOES NOT FIT"): \(plan.reason)")
    }

    func makePlan(_ config: ModelConfig, _ topology: Topology, _ weights: WeightFormat) throws -> CapacityPlan {
        let deployment = try deploymentOptions.deployment(topology, experts: config.nRoutedExperts, groups: config.nGroup)
        return CapacityPlan(footprint: ModelFootprint(config: config, weights: weights, kvCache: kvDType),
                            deployment: deployment, context: context, reserveBytes: reserveGiB * 1_073_741_824)
    }

    func jsonObject(_ plan: CapacityPlan, _ topology: Topology) -> [String: Any] {
        [
            "model": model, "topology": topology.name, "weights": weights.rawValue, "mode": deploymentOptions.mode.rawValue,
            "placement": deploymentOptions.placement.rawValue, "context": context, "kv_dtype": kvDType.rawValue,
            "kv_bytes_per_token": plan.kvBytesPerToken, "kv_tokens": plan.kvTokens, "sequences": plan.sequences,
            "total_weight_bytes": plan.totalWeightBytes, "fits": plan.fits, "verdict": plan.verdict,
            "devices": plan.devices.map {
                ["name": $0.name, "role": $0.role, "experts": $0.experts, "memory_bytes": $0.capacityBytes, "weight_bytes": $0.weightBytes,
                 "reserve_bytes": $0.reserveBytes, "free_bytes": $0.freeBytes, "kv_tokens": $0.kvTokens, "sequences": $0.sequences] as [String: Any]
            },
        ]
    }

    func runAll(_ config: ModelConfig) throws {
        var rows: [[String]] = [], objects: [[String: Any]] = []
        for name in TopologyPresets.names {
            let topology = try TopologyArgument.load(name)
            for w in WeightFormat.gpuFormats {
                let plan = try makePlan(config, topology, w)
                let t = plan.tightest
                rows.append([name, String(topology.devices.count), w.rawValue, Format.bytes(t.weightBytes), Format.bytes(t.freeBytes),
                             String(plan.kvTokens), String(plan.sequences), plan.fits ? "yes" : "no"])
                var object = jsonObject(plan, topology)
                object["weights"] = w.rawValue
                object.removeValue(forKey: "devices")
                objects.append(object)
            }
        }
        if try JSONOption.write(objects, to: json) { return }
        print("\(model), \(deploymentOptions.mode.rawValue), context \(context), \(Format.bytes(reserveGiB * 1_073_741_824)) reserve per GPU; tightest GPU shown")
        print(Table(header: ["topology", "GPUs", "weights", "tightest GPU weights", "its free memory", "KV tokens", "sequences", "fits"],
                    rows: rows, rightAligned: [1, 3, 4, 5, 6]).render())
    }
}
