import ArgumentParser
import Foundation
import SwitchyardModel

/// Where the weights come from: a preset or config.json with synthetic weights, or a checkpoint.
struct WeightsOptions: ParsableArguments {
    @Option(help: "A preset (mistral-small-4, mini, tiny) or a config.json, with synthetic weights. Default: mini.")
    var model: String?
    @Option(help: "Seed of the synthetic weights.") var seed: UInt64 = 0
    @Option(help: "Number format of the synthetic weights: f32 or bf16.") var dtype: WeightDType = .f32
    @Option(help: "A checkpoint directory: config.json with model.safetensors or an index of shards.")
    var checkpoint: String?

    func validate() throws {
        if model != nil, checkpoint != nil { throw ValidationError("give --model or --checkpoint, not both") }
    }

    func source() throws -> (ModelConfig, WeightSource) {
        if let checkpoint {
            let directory = try CheckpointDirectory(URL(fileURLWithPath: checkpoint))
            return (directory.config, directory)
        }
        let config = try ModelShapeOption.resolve(model ?? ModelPreset.mini.rawValue, option: "--model")
        return (config, SyntheticWeights(config: config, seed: seed, dtype: dtype))
    }

    /// The whole model in this process: every routed expert held locally.
    func load() throws -> LoadedModel {
        let (config, source) = try source()
        let weights = try Mistral4Weights(config: config, source: source)
        let experts = try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts))
        return LoadedModel(model: Mistral4Model(weights: weights), experts: LocalExperts(weights: experts, hiddenSize: config.hiddenSize),
                           fingerprint: source.fingerprint)
    }
}

struct LoadedModel {
    let model: Mistral4Model
    let experts: LocalExperts
    let fingerprint: String

    var residentBytes: Int { model.weights.residentBytes + experts.weights.residentBytes }
}

/// `--tokens 1,2,3`.
struct TokenList: ExpressibleByArgument {
    let ids: [Int]

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let ids = parts.compactMap { Int($0) }
        guard !parts.isEmpty, ids.count == parts.count, ids.allSatisfy({ $0 >= 0 }) else { return nil }
        self.ids = ids
    }
}

extension CheckpointError: InputError {}
