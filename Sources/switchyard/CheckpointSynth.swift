import ArgumentParser
import Foundation
import SwitchyardModel

struct CheckpointSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic checkpoint: seeded weights in the layout transformers 5.x saves.",
        discussion: """
        Every tensor comes from (seed, tensor name): the same numbers SyntheticWeights makes in memory.
        Writes config.json and model.safetensors, or shards and model.safetensors.index.json
        when the weights exceed --shard-mib.

        Example: switchyard checkpoint synth --model tiny --seed 7 --dtype bf16 --out /tmp/tiny-bf16
        Defaults: seed 0, dtype f32, layout fused, shards of 4096 MiB.
        """
    )

    @Option(help: "A preset (tiny, mini, mistral-small-4) or the path of a config.json.") var model: String
    @Option(help: "Seed of the generated weights.") var seed: UInt64 = 0
    @Option(help: "Number format of the weights: f32 or bf16.") var dtype: WeightDType = .f32
    @Option(help: "Expert layout: fused (transformers 5.x) or per-expert (DeepSeek-V3 style).") var layout: ExpertLayout = .fused
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
