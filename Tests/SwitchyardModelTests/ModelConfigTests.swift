import Foundation
import Testing
@testable import SwitchyardModel
@testable import SwitchyardModelConfig

@Suite struct ModelConfigTests {
    @Test func mistralSmall4CountsAbout119BTotalAnd6Point6BActive() {
        let count = ParameterCount(ModelPreset.mistralSmall4.config)
        // One routed expert: 3 × 4096 × 2048.
        #expect(count.perRoutedExpert == 25_165_824)
        #expect(abs(Double(count.total) / 119e9 - 1) < 0.01, "total \(count.total)")
        #expect(abs(Double(count.active) / 6.6e9 - 1) < 0.01, "active \(count.active)")
        #expect(abs(Double(count.routedExperts) / 116.0e9 - 1) < 0.01)
        // About 28M of MLA attention a layer.
        #expect(abs(Double(count.attention) / 36 / 28e6 - 1) < 0.02)
    }

    @Test func miniTakesAtMostAbout1GBInFloat32() {
        let count = ParameterCount(ModelPreset.mini.config)
        #expect(count.total * 4 <= 1_050_000_000, "mini is \(count.total * 4) bytes")
        #expect(ModelPreset.mini.config.nRoutedExperts == 128 && ModelPreset.tiny.config.nRoutedExperts == 128)
    }

    @Test func presetsAreValid() throws {
        for preset in ModelPreset.allCases { try preset.config.validate(file: preset.rawValue) }
    }

    @Test func decodesTransformersConfigAndIgnoresUnknownFields() throws {
        let json = """
        {"model_type": "mistral4", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 96,
         "moe_intermediate_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4,
         "q_lora_rank": 32, "kv_lora_rank": 16, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
         "n_routed_experts": 16, "num_experts_per_tok": 4, "n_shared_experts": 1, "n_group": 4, "topk_group": 2,
         "norm_topk_prob": true, "routed_scaling_factor": 1.5, "first_k_dense_replace": 1, "rms_norm_eps": 1e-6,
         "max_position_embeddings": 4096, "rope_interleave": true, "tie_word_embeddings": false,
         "rope_parameters": {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
            "original_max_position_embeddings": 16, "beta_fast": 32, "beta_slow": 1, "mscale": 1,
            "mscale_all_dim": 1, "llama_4_scaling_beta": 0.1},
         "torch_dtype": "float32", "something_new": [1, 2, 3]}
        """
        let config = try ModelConfig.decode(Data(json.utf8), file: "config.json")
        #expect(config.nGroup == 4 && config.topkGroup == 2)
        #expect(config.routedScalingFactor == 1.5)
        #expect(config.firstKDenseReplace == 1 && config.intermediateSize == 96)
        #expect(config.ropeParameters.isYaRN && config.ropeParameters.llama4ScalingBeta == 0.1)
        #expect(config.ropeParameters.originalMaxPositionEmbeddings == 16)
        // A multimodal wrapper whose text_config is the decoder.
        let wrapped = #"{"model_type": "mistral3", "text_config": \#(json)}"#
        #expect(try ModelConfig.decode(Data(wrapped.utf8), file: "config.json") == config)
        // Round trip through our own encoding.
        let encoded = try JSONEncoder().encode(config)
        #expect(try ModelConfig.decode(encoded, file: "x") == config)
    }

    @Test func impossibleConfigsNameTheField() throws {
        func error(_ change: (inout ModelConfig) -> Void) -> ModelConfigError? {
            var config = ModelPreset.tiny.config
            change(&config)
            do { try config.validate(file: "c.json"); return nil } catch let e as ModelConfigError { return e } catch { return nil }
        }
        #expect(error { $0.topkGroup = 9 }?.field == "topk_group")
        #expect(error { $0.nGroup = 3 }?.field == "n_routed_experts")
        #expect(error { $0.hiddenSize = 66 }?.field == "hidden_size")
        #expect(error { $0.vHeadDim = 0 }?.field == "v_head_dim")
        #expect(error { $0.firstKDenseReplace = 1; $0.intermediateSize = 0 }?.field == "intermediate_size")
        #expect(error { $0.numExpertsPerTok = 80 }?.field == "num_experts_per_tok")
    }

    @Test func missingFieldIsNamed() {
        let json = #"{"model_type": "mistral4", "vocab_size": 10}"#
        #expect(throws: ModelConfigError(file: "config.json", field: "hidden_size", problem: "is missing")) {
            _ = try ModelConfig.decode(Data(json.utf8), file: "config.json")
        }
        #expect(throws: ModelConfigError(file: "c", field: "model_type", problem: "is \"llama\", expected \"mistral4\"")) {
            var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ModelPreset.tiny.config)) as! [String: Any]
            object["model_type"] = "llama"
            _ = try ModelConfig.decode(JSONSerialization.data(withJSONObject: object), file: "c")
        }
    }
}
