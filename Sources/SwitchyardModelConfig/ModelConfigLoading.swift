import Foundation

/// A config.json that cannot describe a model, with the file and the field at fault.
public struct ModelConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var field: String
    public var problem: String

    public var description: String { "\(file): \(field): \(problem)" }
}

extension ModelConfig {
    /// Reads a Hugging Face config.json: a "mistral4" decoder, or a multimodal wrapper whose
    /// `text_config` is one.
    public static func load(contentsOf url: URL) throws -> ModelConfig {
        let file = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelConfigError(file: file, field: "(file)", problem: "cannot be read: \(error.localizedDescription)")
        }
        return try decode(data, file: file)
    }

    public static func decode(_ data: Data, file: String) throws -> ModelConfig {
        guard let object = try? JSONSerialization.jsonObject(with: data), let top = object as? [String: Any] else {
            throw ModelConfigError(file: file, field: "(file)", problem: "is not a JSON object")
        }
        var prefix = ""
        var decoderData = data
        if let text = top["text_config"] as? [String: Any] {
            prefix = "text_config."
            decoderData = try JSONSerialization.data(withJSONObject: text)
        }
        let config: ModelConfig
        do {
            config = try JSONDecoder().decode(ModelConfig.self, from: decoderData)
        } catch let error as DecodingError {
            throw ModelConfigError(decoding: error, file: file, prefix: prefix)
        }
        guard config.modelType == "mistral4" || config.modelType == "deepseek_v3" else {
            throw ModelConfigError(file: file, field: prefix + "model_type", problem: "is \"\(config.modelType)\", expected \"mistral4\"")
        }
        try config.validate(file: file, prefix: prefix)
        return config
    }

    /// Checks the relations between fields that a checkpoint cannot be computed without.
    public func validate(file: String = "config", prefix: String = "") throws {
        func fail(_ field: String, _ problem: String) -> ModelConfigError {
            ModelConfigError(file: file, field: prefix + field, problem: problem)
        }
        let positive: [(String, Int)] = [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("moe_intermediate_size", moeIntermediateSize),
            ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
            ("num_key_value_heads", numKeyValueHeads), ("kv_lora_rank", kvLoraRank),
            ("qk_nope_head_dim", qkNopeHeadDim), ("qk_rope_head_dim", qkRopeHeadDim), ("v_head_dim", vHeadDim),
            ("n_routed_experts", nRoutedExperts), ("num_experts_per_tok", numExpertsPerTok),
            ("n_group", nGroup), ("topk_group", topkGroup), ("max_position_embeddings", maxPositionEmbeddings),
        ]
        for (field, value) in positive where value <= 0 { throw fail(field, "must be positive, got \(value)") }
        if let q = qLoraRank, q <= 0 { throw fail("q_lora_rank", "must be positive or null, got \(q)") }
        guard nSharedExperts >= 0 else { throw fail("n_shared_experts", "must not be negative, got \(nSharedExperts)") }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw fail("hidden_size", "\(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw fail("num_key_value_heads", "\(numKeyValueHeads) does not divide num_attention_heads \(numAttentionHeads)")
        }
        guard qkRopeHeadDim % 2 == 0 else { throw fail("qk_rope_head_dim", "must be even for rotary pairs, got \(qkRopeHeadDim)") }
        guard nRoutedExperts % nGroup == 0 else {
            throw fail("n_routed_experts", "\(nRoutedExperts) experts are not divisible into n_group \(nGroup) groups")
        }
        guard topkGroup <= nGroup else { throw fail("topk_group", "\(topkGroup) is more than n_group \(nGroup)") }
        guard numExpertsPerTok <= topkGroup * expertsPerGroup else {
            throw fail("num_experts_per_tok", "\(numExpertsPerTok) is more than the \(topkGroup * expertsPerGroup) experts in topk_group \(topkGroup) groups")
        }
        guard (0...numHiddenLayers).contains(firstKDenseReplace) else {
            throw fail("first_k_dense_replace", "must be in 0...\(numHiddenLayers), got \(firstKDenseReplace)")
        }
        if firstKDenseReplace > 0, intermediateSize <= 0 {
            throw fail("intermediate_size", "must be positive when first_k_dense_replace is \(firstKDenseReplace)")
        }
        guard rmsNormEps > 0, rmsNormEps.isFinite else { throw fail("rms_norm_eps", "must be positive, got \(rmsNormEps)") }
        guard routedScalingFactor.isFinite, routedScalingFactor > 0 else {
            throw fail("routed_scaling_factor", "must be positive, got \(routedScalingFactor)")
        }
        let rope = ropeParameters
        guard rope.ropeTheta > 0 else { throw fail("rope_parameters.rope_theta", "must be positive, got \(rope.ropeTheta)") }
        guard rope.ropeType == "yarn" || rope.ropeType == "default" else {
            throw fail("rope_parameters.rope_type", "\"\(rope.ropeType)\" is not supported (yarn or default)")
        }
        if rope.isYaRN {
            guard rope.factor >= 1 else { throw fail("rope_parameters.factor", "must be at least 1 for YaRN, got \(rope.factor)") }
            guard (rope.originalMaxPositionEmbeddings ?? 0) > 0 else {
                throw fail("rope_parameters.original_max_position_embeddings", "is required for YaRN and must be positive")
            }
        }
    }
}

extension ModelConfigError {
    init(decoding error: DecodingError, file: String, prefix: String) {
        func path(_ keys: [CodingKey], _ last: CodingKey? = nil) -> String {
            prefix + (keys + (last.map { [$0] } ?? [])).map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            self.init(file: file, field: path(context.codingPath, key), problem: "is missing")
        case let .typeMismatch(type, context):
            self.init(file: file, field: path(context.codingPath), problem: "has the wrong type, expected \(type)")
        case let .valueNotFound(type, context):
            self.init(file: file, field: path(context.codingPath), problem: "is null, expected \(type)")
        case let .dataCorrupted(context):
            self.init(file: file, field: path(context.codingPath), problem: context.debugDescription)
        @unknown default:
            self.init(file: file, field: "(file)", problem: "\(error)")
        }
    }
}
