import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardModelConfig

/// A `--model` argument: a preset's name or the path of a Hugging Face config.json.
enum ModelArgument {
    static func load(_ argument: String, option: String = "--model") throws -> ModelConfig {
        try WeightChoice.config(argument, option: option)
    }
}

extension ModelConfigError: InputError {}
extension TokenOutOfRange: InputError {}
