import Foundation

/// The decoder configuration of a Mistral4 (DeepSeek-V3-shaped) model, with config.json's keys.
///
/// Every field that changes the computation is here; config.json's other fields are ignored.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var moeIntermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    /// Rank of the query's low-rank projection; nil means queries come from one dense `q_proj`.
    public var qLoraRank: Int?
    public var kvLoraRank: Int
    public var qkNopeHeadDim: Int
    public var qkRopeHeadDim: Int
    public var vHeadDim: Int
    public var nRoutedExperts: Int
    public var numExpertsPerTok: Int
    public var nSharedExperts: Int
    public var nGroup: Int
    public var topkGroup: Int
    public var normTopkProb: Bool
    public var routedScalingFactor: Double
    public var firstKDenseReplace: Int
    public var rmsNormEps: Double
    public var maxPositionEmbeddings: Int
    public var ropeParameters: RopeParameters
    public var ropeInterleave: Bool
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case moeIntermediateSize = "moe_intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case qLoraRank = "q_lora_rank"
        case kvLoraRank = "kv_lora_rank"
        case qkNopeHeadDim = "qk_nope_head_dim"
        case qkRopeHeadDim = "qk_rope_head_dim"
        case vHeadDim = "v_head_dim"
        case nRoutedExperts = "n_routed_experts"
        case numExpertsPerTok = "num_experts_per_tok"
        case nSharedExperts = "n_shared_experts"
        case nGroup = "n_group"
        case topkGroup = "topk_group"
        case normTopkProb = "norm_topk_prob"
        case routedScalingFactor = "routed_scaling_factor"
        case firstKDenseReplace = "first_k_dense_replace"
        case rmsNormEps = "rms_norm_eps"
        case maxPositionEmbeddings = "max_position_embeddings"
        case ropeParameters = "rope_parameters"
        case ropeInterleave = "rope_interleave"
        case tieWordEmbeddings = "tie_word_embeddings"
        // Older configs carry the rotary settings here instead of in rope_parameters.
        case ropeScaling = "rope_scaling"
        case ropeTheta = "rope_theta"
    }

    public init(
        modelType: String = "mistral4", vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
        moeIntermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, numKeyValueHeads: Int,
        qLoraRank: Int?, kvLoraRank: Int, qkNopeHeadDim: Int, qkRopeHeadDim: Int, vHeadDim: Int,
        nRoutedExperts: Int, numExpertsPerTok: Int, nSharedExperts: Int, nGroup: Int, topkGroup: Int,
        normTopkProb: Bool, routedScalingFactor: Double, firstKDenseReplace: Int, rmsNormEps: Double,
        maxPositionEmbeddings: Int, ropeParameters: RopeParameters, ropeInterleave: Bool, tieWordEmbeddings: Bool
    ) {
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.moeIntermediateSize = moeIntermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.qLoraRank = qLoraRank
        self.kvLoraRank = kvLoraRank
        self.qkNopeHeadDim = qkNopeHeadDim
        self.qkRopeHeadDim = qkRopeHeadDim
        self.vHeadDim = vHeadDim
        self.nRoutedExperts = nRoutedExperts
        self.numExpertsPerTok = numExpertsPerTok
        self.nSharedExperts = nSharedExperts
        self.nGroup = nGroup
        self.topkGroup = topkGroup
        self.normTopkProb = normTopkProb
        self.routedScalingFactor = routedScalingFactor
        self.firstKDenseReplace = firstKDenseReplace
        self.rmsNormEps = rmsNormEps
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.ropeParameters = ropeParameters
        self.ropeInterleave = ropeInterleave
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "mistral4"
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        moeIntermediateSize = try c.decode(Int.self, forKey: .moeIntermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? numAttentionHeads
        qLoraRank = try c.decodeIfPresent(Int.self, forKey: .qLoraRank)
        kvLoraRank = try c.decode(Int.self, forKey: .kvLoraRank)
        qkNopeHeadDim = try c.decode(Int.self, forKey: .qkNopeHeadDim)
        qkRopeHeadDim = try c.decode(Int.self, forKey: .qkRopeHeadDim)
        vHeadDim = try c.decode(Int.self, forKey: .vHeadDim)
        nRoutedExperts = try c.decode(Int.self, forKey: .nRoutedExperts)
        numExpertsPerTok = try c.decode(Int.self, forKey: .numExpertsPerTok)
        nSharedExperts = try c.decodeIfPresent(Int.self, forKey: .nSharedExperts) ?? 0
        nGroup = try c.decodeIfPresent(Int.self, forKey: .nGroup) ?? 1
        topkGroup = try c.decodeIfPresent(Int.self, forKey: .topkGroup) ?? 1
        normTopkProb = try c.decodeIfPresent(Bool.self, forKey: .normTopkProb) ?? true
        routedScalingFactor = try c.decodeIfPresent(Double.self, forKey: .routedScalingFactor) ?? 1
        firstKDenseReplace = try c.decodeIfPresent(Int.self, forKey: .firstKDenseReplace) ?? 0
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 0
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 32768
        ropeInterleave = try c.decodeIfPresent(Bool.self, forKey: .ropeInterleave) ?? true
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        if let parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters) {
            ropeParameters = parameters
        } else {
            var parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling) ?? RopeParameters(ropeTheta: 10000)
            if let theta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) { parameters.ropeTheta = theta }
            ropeParameters = parameters
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(moeIntermediateSize, forKey: .moeIntermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(qLoraRank, forKey: .qLoraRank)
        try c.encode(kvLoraRank, forKey: .kvLoraRank)
        try c.encode(qkNopeHeadDim, forKey: .qkNopeHeadDim)
        try c.encode(qkRopeHeadDim, forKey: .qkRopeHeadDim)
        try c.encode(vHeadDim, forKey: .vHeadDim)
        try c.encode(nRoutedExperts, forKey: .nRoutedExperts)
        try c.encode(numExpertsPerTok, forKey: .numExpertsPerTok)
        try c.encode(nSharedExperts, forKey: .nSharedExperts)
        try c.encode(nGroup, forKey: .nGroup)
        try c.encode(topkGroup, forKey: .topkGroup)
        try c.encode(normTopkProb, forKey: .normTopkProb)
        try c.encode(routedScalingFactor, forKey: .routedScalingFactor)
        try c.encode(firstKDenseReplace, forKey: .firstKDenseReplace)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(ropeParameters, forKey: .ropeParameters)
        try c.encode(ropeInterleave, forKey: .ropeInterleave)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
    }

    // MARK: Derived sizes

    /// Query and key width per head: the part without rotation plus the rotary part.
    public var qkHeadDim: Int { qkNopeHeadDim + qkRopeHeadDim }
    /// Width of one shared expert's hidden layer (all shared experts fused into one MLP).
    public var sharedIntermediateSize: Int { moeIntermediateSize * nSharedExperts }
    public var expertsPerGroup: Int { nRoutedExperts / nGroup }
    /// Values the KV cache keeps per token and layer: the compressed latent and the rotary key.
    public var kvCacheValuesPerTokenPerLayer: Int { kvLoraRank + qkRopeHeadDim }

    public func isMoELayer(_ layer: Int) -> Bool { layer >= firstKDenseReplace }
    public var moeLayerCount: Int { max(0, numHiddenLayers - firstKDenseReplace) }
}

/// Rotary embedding settings (`rope_parameters` in transformers 5, `rope_scaling` before).
public struct RopeParameters: Codable, Equatable, Sendable {
    /// "yarn" or "default".
    public var ropeType: String
    public var ropeTheta: Double
    public var factor: Double
    public var originalMaxPositionEmbeddings: Int?
    public var betaFast: Double
    public var betaSlow: Double
    public var mscale: Double
    public var mscaleAllDim: Double
    /// Strength of the llama-4 position-dependent query scaling; nil or 0 turns it off.
    public var llama4ScalingBeta: Double?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type"
        case type
        case ropeTheta = "rope_theta"
        case factor
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case betaFast = "beta_fast"
        case betaSlow = "beta_slow"
        case mscale
        case mscaleAllDim = "mscale_all_dim"
        case llama4ScalingBeta = "llama_4_scaling_beta"
    }

    public init(ropeType: String = "default", ropeTheta: Double, factor: Double = 1, originalMaxPositionEmbeddings: Int? = nil,
                betaFast: Double = 32, betaSlow: Double = 1, mscale: Double = 1, mscaleAllDim: Double = 0,
                llama4ScalingBeta: Double? = nil) {
        self.ropeType = ropeType
        self.ropeTheta = ropeTheta
        self.factor = factor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
        self.betaFast = betaFast
        self.betaSlow = betaSlow
        self.mscale = mscale
        self.mscaleAllDim = mscaleAllDim
        self.llama4ScalingBeta = llama4ScalingBeta
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ropeType = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type) ?? "default"
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10000
        factor = try c.decodeIfPresent(Double.self, forKey: .factor) ?? 1
        originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
        betaFast = try c.decodeIfPresent(Double.self, forKey: .betaFast) ?? 32
        betaSlow = try c.decodeIfPresent(Double.self, forKey: .betaSlow) ?? 1
        mscale = try c.decodeIfPresent(Double.self, forKey: .mscale) ?? 1
        mscaleAllDim = try c.decodeIfPresent(Double.self, forKey: .mscaleAllDim) ?? 0
        llama4ScalingBeta = try c.decodeIfPresent(Double.self, forKey: .llama4ScalingBeta)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ropeType, forKey: .ropeType)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(factor, forKey: .factor)
        try c.encodeIfPresent(originalMaxPositionEmbeddings, forKey: .originalMaxPositionEmbeddings)
        try c.encode(betaFast, forKey: .betaFast)
        try c.encode(betaSlow, forKey: .betaSlow)
        try c.encode(mscale, forKey: .mscale)
        try c.encode(mscaleAllDim, forKey: .mscaleAllDim)
        try c.encodeIfPresent(llama4ScalingBeta, forKey: .llama4ScalingBeta)
    }

    public var isYaRN: Bool { ropeType == "yarn" }
}
