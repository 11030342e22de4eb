import ArgumentParser
import Foundation
import SwitchyardModel

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

        Example: switchyard checkpoint synth --model tiny --seed 7 --dtype bf16 \\
                   --out /tmp/tiny-bf16
        Defaults: seed 0, dtype f32, layout fused, shards of 4096 MiB.
        """
    )

    @Option(help: "A preset (tiny, mini, mistral-small-4) or the path of a config.json.") var model: String
    @Option(help: "Seed of the generated weights.") var seed: UInt64 = 0
    @Option(help: "Number format of the weights: f32, bf16 or fp8.") var dtype: WeightDType = .f32
    @Option(help: "Expert layout: fused (transformers 5.x's, which it loads) or per-expert (DeepSeek-V3 style; transformers 5 ignores those tensors and initialises the experts at random).") var layout: ExpertLayout = .fused
    @Option(name: .customLong("shard-mib"), help: "Largest shard, in MiB of tensor data.") var shardMiB = 4096
    @Option(help: "Directory to write (created if missing).") var out: String

    func validate() throws {
        try FlagBounds.check([("--shard-mib", shardMiB, 1...(1 << 20))])
    }

    func run() throws {
        let config = try ModelArgument.load(model)
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

extension WeightDType: ExpressibleByArgument {}
extension ExpertLayout: ExpressibleByArgument {}
