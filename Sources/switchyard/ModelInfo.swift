import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardCore

struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a model's dimensions and its parameters by component.",
        discussion: """
        Example: switchyard model info mistral-small-4
                 switchyard model info path/to/config.json --json
        """
    )

    @Argument(help: "A preset (mistral-small-4, mini, tiny) or a config.json.")
    var model: String

    @Option(help: JSONOption.help) var json: String?

    func run() throws {
        let config = try ModelArgument.load(model, option: "MODEL")
        let count = ParameterCount(config)
        // (row name, JSON key, parameters)
        let components: [(String, String, Int)] = [
            ("embedding", "embedding", count.embedding), ("attention (MLA)", "attention_mla", count.attention), ("norms", "norms", count.norms),
            ("routers", "routers", count.routers), ("shared experts", "shared_experts", count.sharedExperts), ("dense MLP", "dense_mlp", count.denseMLP),
            ("routed experts", "routed_experts", count.routedExperts), ("LM head", "unembedding", count.lmHead),
        ]
        let kvBytesPerToken = config.kvCacheValuesPerTokenPerLayer * config.numHiddenLayers * 2
        var object: [String: Any] = Dictionary(uniqueKeysWithValues: components.map { ($0.1, $0.2) })
        object["total"] = count.total
        object["active"] = count.active
        object["active_without_embeddings"] = count.activeWithoutEmbeddings
        object["per_routed_expert"] = count.perRoutedExpert
        object["kv_cache_bytes_per_token_bf16"] = kvBytesPerToken
        if try JSONOption.write(object, to: json) { return }
        let shape: [(String, String)] = [
            ("layers", "\(config.numHiddenLayers) (first \(config.firstKDenseReplace) dense)"),
            ("hidden", "\(config.hiddenSize)"),
            ("attention", "MLA, \(config.numAttentionHeads) heads, q_lora_rank \(config.qLoraRank.map(String.init) ?? "none"), kv_lora_rank \(config.kvLoraRank), qk \(config.qkNopeHeadDim)+\(config.qkRopeHeadDim), v \(config.vHeadDim)"),
            ("experts", "\(config.nRoutedExperts) routed (\(config.numExpertsPerTok) active, \(Plural.count(config.nGroup, "group")), top \(config.topkGroup)), \(config.nSharedExperts) shared, width \(config.moeIntermediateSize)"),
            ("vocabulary", "\(config.vocabSize)"),
            ("rope", "\(config.ropeParameters.ropeType), theta \(config.ropeParameters.ropeTheta), factor \(config.ropeParameters.factor)"),
            ("KV cache per token", "\(config.kvCacheValuesPerTokenPerLayer * config.numHiddenLayers) values, \(Format.bytes(kvBytesPerToken)) at bf16"),
        ]
        print(Table(header: ["shape", model], rows: shape.map { [$0.0, $0.1] }).render())
        print()
        let rows = components.map { [$0.0, Format.parameters($0.2), Format.percent(Double($0.2) / Double(count.total))] }
            + [["total", Format.parameters(count.total), "100.0%"],
               ["active per token", Format.parameters(count.active), Format.percent(Double(count.active) / Double(count.total))],
               ["one routed expert", Format.parameters(count.perRoutedExpert), ""]]
        print(Table(header: ["component", "parameters", "share"], rows: rows, rightAligned: [1, 2]).render())
    }
}
