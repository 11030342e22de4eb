import Foundation
import SwitchyardCore

/// A config.json that cannot describe a model, with the file and the field at fault.
public struct ModelConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var field: String
    public var problem: String

    public var description: String { "\(file): \(field): \(problem)" }
}

extension ModelConfig {
    /// config.json's integer fields.
    static let integerKeys = [
        "vocab_size", "hidden_size", "intermediate_size", "moe_intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
        "n_routed_experts", "num_experts_per_tok", "n_shared_experts", "n_group", "topk_group", "first_k_dense_replace",
        "max_position_embeddings",
    ]

    /// Largest config.json read: real ones are a few kilobytes.
    public static let maximumFileBytes = 4 << 20

    /// Reads a Hugging Face config.json: a "mistral4" decoder, or a multimodal wrapper whose
    /// `text_config` is one.
    public static func load(contentsOf url: URL) throws -> ModelConfig {
        let file = url.path
        let data: Data
        do { data = try RegularFile.contents(file, limit: maximumFileBytes) } catch {
            throw ModelConfigError(file: file, field: "(file)", problem: error.problem)
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
        // A number too large for an Int fails JSONDecoder without naming its key: name it here.
        let fields = prefix.isEmpty ? top : top["text_config"] as? [String: Any] ?? [:]
        var numbers = integerKeys.map { (prefix + $0, fields[$0]) }
        for rope in ["rope_parameters", "rope_scaling"] {
            numbers.append(("\(prefix)\(rope).original_max_position_embeddings", (fields[rope] as? [String: Any])?["original_max_position_embeddings"]))
        }
        for case let (field, number as NSNumber) in numbers {
            let value = number.doubleValue
            if value != value.rounded() || abs(value) >= 9.2e18 {
                throw ModelConfigError(file: file, field: field, problem: "must be an integer, got \(number)")
            }
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
        // Ceilings first: every later check and every size derived from the config multiplies these.
        for (field, value, allowed) in boundedSizes {
            if let problem = InputBounds.problem(value, allowed: allowed) { throw fail(field, problem) }
        }
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
        let b = Self.bounds
        let reals: [(String, Double, ClosedRange<Double>)] = [
            ("rms_norm_eps", rmsNormEps, b.rmsNormEps), ("routed_scaling_factor", routedScalingFactor, b.routedScalingFactor),
            ("rope_parameters.rope_theta", ropeParameters.ropeTheta, b.ropeTheta),
        ] + (ropeParameters.llama4ScalingBeta.map { [("rope_parameters.llama_4_scaling_beta", $0, b.llama4ScalingBeta)] } ?? [])
        for (field, value, allowed) in reals {
            if let problem = InputBounds.problem(value, allowed: allowed) { throw fail(field, problem) }
        }
        let rope = ropeParameters
        guard rope.ropeType == "yarn" || rope.ropeType == "default" else {
            throw fail("rope_parameters.rope_type", "\"\(rope.ropeType)\" is not supported (yarn or default)")
        }
        if rope.isYaRN { try validateYaRN(rope, fail: fail) }
    }

    /// YaRN's settings, so that no inverse frequency, ramp or magnitude correction is NaN or
    /// infinite: beta_fast and beta_slow are rotation counts (a zero one divides by zero), the
    /// mscales must keep 0.1·m·ln(factor) + 1 positive, and the original context must be positive.
    private func validateYaRN(_ rope: RopeParameters, fail: (String, String) -> ModelConfigError) throws {
        let b = Self.bounds
        let reals: [(String, Double, ClosedRange<Double>)] = [
            ("rope_parameters.factor", rope.factor, b.yarnFactor),
            ("rope_parameters.beta_fast", rope.betaFast, b.beta), ("rope_parameters.beta_slow", rope.betaSlow, b.beta),
            ("rope_parameters.mscale", rope.mscale, b.mscale), ("rope_parameters.mscale_all_dim", rope.mscaleAllDim, b.mscale),
        ]
        for (field, value, allowed) in reals {
            if let problem = InputBounds.problem(value, allowed: allowed) { throw fail(field, problem) }
        }
        guard rope.betaFast > rope.betaSlow else {
            throw fail("rope_parameters.beta_fast", "must be greater than beta_slow \(rope.betaSlow), got \(rope.betaFast)")
        }
        guard let original = rope.originalMaxPositionEmbeddings else {
            throw fail("rope_parameters.original_max_position_embeddings", "is required for YaRN and must be positive")
        }
        if let problem = InputBounds.problem(original, allowed: b.maxPositionEmbeddings) {
            throw fail("rope_parameters.original_max_position_embeddings", problem)
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
