import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardModelConfig

struct CheckpointSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic checkpoint: seeded weights in the layout transformers 5.x saves.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard checkpoint synth --model <model> --out <out> [<options>]",
        discussion: """
        Every tensor comes from (seed, tensor name): the same numbers
        SyntheticWeights makes in memory. Writes config.json and model.safetensors,
        or shards and model.safetensors.index.json when the weights exceed
        --shard-mib. --dtype fp8 writes Linear weights as F8_E4M3 with F32
        weight_scale_inv per 128×128 block and config.json's quantization_config
        (quant_method fp8, weight_block_size [128, 128]), as DeepSeek-V3's FP8
        release; embeddings, LM head, router and norms in bf16. An expert's gate and
        up projections are quantised as one fused matrix, so per-expert fp8 needs
        moe_intermediate_size to be a multiple of 128 or at most 64.

        --layers and --experts keep the model's widths and shrink its depth and its
        routed experts (the first N layers, experts 0..<E of each): a real-width
        model that fits one machine, e.g. for scripts/bench-llamacpp.sh.

        Example: switchyard checkpoint synth --model tiny --seed 7 --dtype bf16 \\
                   --out /tmp/tiny-bf16
                 switchyard checkpoint synth --model mistral-small-4 --layers 2 \\
                   --experts 16 --out /tmp/ms4-2x16
        Defaults: seed 0, dtype f32, layout fused, shards of 4096 MiB, every layer
        and expert of the model.
        """
    )

    @Option(help: "A preset (tiny, mini, mistral-small-4) or the path of a config.json.") var model: String
    @Option(help: "Seed of the generated weights.") var seed: UInt64 = 0
    @Option(help: "Number format of the weights: f32, bf16 or fp8.") var dtype: WeightDType = .f32
    @Option(help: "Expert layout: fused (transformers 5.x's, which it loads) or per-expert (DeepSeek-V3 style; transformers 5 ignores those tensors and initialises the experts at random).") var layout: ExpertLayout = .fused
    @Option(name: .customLong("shard-mib"), help: "Largest shard, in MiB of tensor data.") var shardMiB = 4096
    @Option(help: "Directory to write (created if missing).") var out: String
    @Option(help: "Keep only the model's first N decoder layers (its widths unchanged).") var layers: Int?
    @Option(help: "Keep only routed experts 0..<E of each MoE layer (its widths unchanged).") var experts: Int?

    func validate() throws {
        try FlagBounds.check([("--shard-mib", shardMiB, 1...(1 << 20))])
        if let layers { try FlagBounds.check([("--layers", layers, 1...4096)]) }
        if let experts { try FlagBounds.check([("--experts", experts, FlagBounds.experts)]) }
    }

    func run() throws {
        let config = try Self.shrunk(try ModelArgument.load(model), layers: layers, experts: experts)
        let source = SyntheticWeights(config: config, seed: seed, dtype: dtype)
        let directory = URL(fileURLWithPath: out)
        let summary = try CheckpointWriter.write(source, config: config, dtype: dtype, expertLayout: layout,
                                                 to: directory, shardBytes: shardMiB << 20)
        let rows = summary.files.map { name -> [String] in
            let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            return [name, String(format: "%.1f", Double(size) / 1_048_576)]
        }
        print(Table(header: ["file", "MiB"], rows: rows, rightAligned: [1]).render())
        print("\(summary.tensorCount) tensors, \(summary.dataBytes) bytes of \(dtype.rawValue) weights, \(layout.rawValue) experts, \(source.fingerprint)")
    }
}

extension CheckpointSynth {
    /// `config` with only its first `layers` decoder layers and routed experts 0..<`experts`;
    /// errors name the flag and the range the model allows.
    static func shrunk(_ config: ModelConfig, layers: Int?, experts: Int?) throws -> ModelConfig {
        var config = config
        if let layers {
            guard (config.firstKDenseReplace + 1...config.numHiddenLayers).contains(layers) else {
                throw ValidationError("--layers \(layers): the model has \(config.numHiddenLayers) layers, the first \(config.firstKDenseReplace) dense; give \(config.firstKDenseReplace + 1)...\(config.numHiddenLayers)")
            }
            config.numHiddenLayers = layers
        }
        if let experts {
            let least = max(config.numExpertsPerTok, config.nGroup)
            guard experts >= least, experts <= config.nRoutedExperts, experts % config.nGroup == 0,
                  config.numExpertsPerTok <= config.topkGroup * (experts / config.nGroup) else {
                throw ValidationError("--experts \(experts): the model routes \(config.numExpertsPerTok) of \(config.nRoutedExperts) experts in \(config.nGroup) groups (\(config.topkGroup) kept); give a multiple of \(config.nGroup) in \(least)...\(config.nRoutedExperts) with at least \(config.numExpertsPerTok) experts in \(config.topkGroup) groups")
            }
            config.nRoutedExperts = experts
        }
        return config
    }
}

extension WeightDType: ExpressibleByArgument {}
extension ExpertLayout: ExpressibleByArgument {}
