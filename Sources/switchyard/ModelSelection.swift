import ArgumentParser
import Foundation
import SwitchyardModel

/// `--model PRESET|config.json`: a built-in shape or a Hugging Face config.json.
struct ModelShapeOption: ParsableArguments {
    @Option(name: .customLong("model"), help: "A preset (\(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))) or a config.json.")
    var model: String = ModelPreset.mini.rawValue

    func config() throws -> ModelConfig {
        try ModelShapeOption.resolve(model, option: "--model")
    }

    static func resolve(_ name: String, option: String) throws -> ModelConfig {
        if let preset = ModelPreset(rawValue: name) { return preset.config }
        guard name.hasSuffix(".json") || FileManager.default.fileExists(atPath: name) else {
            throw ValidationError("\(option): \"\(name)\" is neither a preset (\(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))) nor a config.json file")
        }
        return try ModelConfig.load(contentsOf: URL(fileURLWithPath: name))
    }
}

extension ModelConfigError: InputError {}
extension TokenOutOfRange: InputError {}
