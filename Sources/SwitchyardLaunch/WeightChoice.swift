import Foundation
import SwitchyardModel
import SwitchyardModelConfig

/// Where a run's weights come from: a preset or config.json with synthetic weights, or a checkpoint.
/// Every process of a run makes the same choice, so it travels to them as flags (`arguments`).
public enum WeightChoice: Sendable, Equatable {
    /// `layers`, when given, keeps the model's widths and runs only its first `layers` decoder
    /// layers: a real-width model small enough for one machine.
    case synthetic(model: String, seed: UInt64, dtype: WeightDType, layers: Int? = nil)
    case checkpoint(path: String)

    /// The default of every command: the `mini` preset, seed 0, float32.
    public static let `default` = WeightChoice.synthetic(model: ModelPreset.mini.rawValue, seed: 0, dtype: .f32)

    /// The same choice as flags, for child processes.
    public var arguments: [String] {
        switch self {
        case let .checkpoint(path): ["--checkpoint", path]
        case let .synthetic(model, seed, dtype, layers):
            ["--model", model, "--seed", String(seed), "--dtype", dtype.rawValue] + (layers.map { ["--layers", String($0)] } ?? [])
        }
    }

    /// The model's configuration and its weights.
    public func load() throws -> (ModelConfig, WeightSource) {
        switch self {
        case let .checkpoint(path):
            let directory = try CheckpointDirectory(URL(fileURLWithPath: path))
            return (directory.config, directory)
        case let .synthetic(model, seed, dtype, layers):
            var config = try Self.config(model)
            if let layers {
                guard (config.firstKDenseReplace + 1...config.numHiddenLayers).contains(layers) else {
                    throw LaunchInputError("--layers \(layers): \(model) has \(config.numHiddenLayers) layers, the first \(config.firstKDenseReplace) dense; give \(config.firstKDenseReplace + 1)...\(config.numHiddenLayers)")
                }
                config.numHiddenLayers = layers
            }
            return (config, SyntheticWeights(config: config, seed: seed, dtype: dtype))
        }
    }

    /// A `--model` argument: a preset's name or the path of a Hugging Face config.json.
    public static func config(_ argument: String, option: String = "--model") throws -> ModelConfig {
        if let preset = ModelPreset(rawValue: argument) { return preset.config }
        guard FileManager.default.fileExists(atPath: argument) else {
            let presets = ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")
            throw LaunchInputError("\(option): \"\(argument)\" is neither a preset (\(presets)) nor an existing config.json")
        }
        return try ModelConfig.load(contentsOf: URL(fileURLWithPath: argument))
    }
}
