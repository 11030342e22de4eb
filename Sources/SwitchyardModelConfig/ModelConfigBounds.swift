import SwitchyardCore

extension ModelConfig {
    /// The ranges config.json's sizes may take. Every real model sits far inside them (Mistral
    /// Small 4: vocabulary 131072, hidden 4096, 128 experts); within them every parameter count
    /// and tensor size is a product that fits in an Int, so nothing derived from a config traps.
    public struct Bounds: Sendable {
        public let vocabSize = 1...(1 << 22)
        public let hiddenSize = 1...(1 << 16)
        public let intermediateSize = 0...(1 << 18)
        public let moeIntermediateSize = 1...(1 << 18)
        public let numHiddenLayers = 1...1024
        public let numAttentionHeads = 1...1024
        public let loraRank = 1...(1 << 16)
        public let headDim = 1...4096
        public let nRoutedExperts = 1...4096
        public let nSharedExperts = 0...64
        public let maxPositionEmbeddings = 1...(1 << 27)
        /// rope_theta, YaRN's factor, beta_fast and beta_slow, the mscales and llama-4's beta.
        public let ropeTheta = 2.0...1e12
        public let yarnFactor = 1.0...1e6
        public let beta = 1e-3...1e6
        public let mscale = 0.0...1e3
        public let llama4ScalingBeta = 0.0...1e3
        public let routedScalingFactor = 1e-6...1e6
        public let rmsNormEps = 1e-30...1.0
    }

    public static let bounds = Bounds()

    /// The sizes against their ceilings, as (config.json key, value, allowed range).
    var boundedSizes: [(String, Int, ClosedRange<Int>)] {
        let b = Self.bounds
        return [
            ("vocab_size", vocabSize, b.vocabSize), ("hidden_size", hiddenSize, b.hiddenSize),
            ("intermediate_size", intermediateSize, b.intermediateSize),
            ("moe_intermediate_size", moeIntermediateSize, b.moeIntermediateSize),
            ("num_hidden_layers", numHiddenLayers, b.numHiddenLayers),
            ("num_attention_heads", numAttentionHeads, b.numAttentionHeads),
            ("num_key_value_heads", numKeyValueHeads, b.numAttentionHeads),
            ("kv_lora_rank", kvLoraRank, b.loraRank),
            ("qk_nope_head_dim", qkNopeHeadDim, b.headDim), ("qk_rope_head_dim", qkRopeHeadDim, b.headDim),
            ("v_head_dim", vHeadDim, b.headDim),
            ("n_routed_experts", nRoutedExperts, b.nRoutedExperts),
            ("num_experts_per_tok", numExpertsPerTok, b.nRoutedExperts),
            ("n_shared_experts", nSharedExperts, b.nSharedExperts),
            ("n_group", nGroup, b.nRoutedExperts), ("topk_group", topkGroup, b.nRoutedExperts),
            ("first_k_dense_replace", firstKDenseReplace, 0...max(0, numHiddenLayers)),
            ("max_position_embeddings", maxPositionEmbeddings, b.maxPositionEmbeddings),
        ] + (qLoraRank.map { [("q_lora_rank", $0, b.loraRank)] } ?? [])
    }
}
