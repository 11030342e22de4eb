import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardModelConfig

/// A `--model` argument: a preset's name or the path of a Hugging Face config.json.
enum ModelArgument {
    static func load(_ argument: String, option: String = "--model") throws -> ModelConfig {
        if let preset = ModelPreset(rawValue: argument) { return preset.config }
        guard FileManager.default.fileExists(atPath: argument) else {
            let presets = ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("\(option): \"\(argument)\" is neither a preset (\(presets)) nor an existing config.json")
        }
        return try ModelConfig.load(contentsOf: URL(fileURLWithPath: argument))
    }
}

extension ModelConfigError: InputError {}
extension TokenOutOfRange: InputError {}
