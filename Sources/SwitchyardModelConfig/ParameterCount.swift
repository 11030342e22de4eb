/// Parameters of a model, by component, counted from its configuration alone.
public struct ParameterCount: Equatable, Sendable {
    public var embedding: Int
    public var lmHead: Int
    /// MLA projections and their norms, all layers.
    public var attention: Int
    /// input_layernorm and post_attention_layernorm of every layer, and the final norm.
    public var norms: Int
    /// Router weights of all MoE layers.
    public var routers: Int
    /// Shared experts of all MoE layers.
    public var sharedExperts: Int
    /// Dense MLPs of the layers below first_k_dense_replace.
    public var denseMLP: Int
    /// All routed experts of all MoE layers.
    public var routedExperts: Int
    /// One routed expert (gate, up and down projections).
    public var perRoutedExpert: Int
    /// Routed experts a token runs through: num_experts_per_tok in each MoE layer.
    public var activeRoutedExperts: Int

    public var total: Int { embedding + lmHead + attention + norms + routers + sharedExperts + denseMLP + routedExperts }
    /// Parameters one token touches: everything but the routed experts it was not sent to.
    public var active: Int { total - routedExperts + activeRoutedExperts }
    public var activeWithoutEmbeddings: Int { active - embedding - lmHead }

    public init(_ c: ModelConfig) {
        let h = c.hiddenSize, heads = c.numAttentionHeads
        var attentionPerLayer = 0
        if let q = c.qLoraRank {
            attentionPerLayer += h * q + q + q * heads * c.qkHeadDim   // q_a_proj, q_a_layernorm, q_b_proj
        } else {
            attentionPerLayer += h * heads * c.qkHeadDim               // q_proj
        }
        attentionPerLayer += h * (c.kvLoraRank + c.qkRopeHeadDim)      // kv_a_proj_with_mqa
        attentionPerLayer += c.kvLoraRank                              // kv_a_layernorm
        attentionPerLayer += c.kvLoraRank * heads * (c.qkNopeHeadDim + c.vHeadDim) // kv_b_proj
        attentionPerLayer += heads * c.vHeadDim * h                    // o_proj

        perRoutedExpert = 3 * h * c.moeIntermediateSize
        let moeLayers = c.moeLayerCount
        embedding = c.vocabSize * h
        lmHead = c.tieWordEmbeddings ? 0 : c.vocabSize * h
        attention = attentionPerLayer * c.numHiddenLayers
        norms = 2 * h * c.numHiddenLayers + h
        routers = moeLayers * c.nRoutedExperts * h
        sharedExperts = moeLayers * 3 * h * c.sharedIntermediateSize
        denseMLP = c.firstKDenseReplace * 3 * h * c.intermediateSize
        routedExperts = moeLayers * c.nRoutedExperts * perRoutedExpert
        activeRoutedExperts = moeLayers * c.numExpertsPerTok * perRoutedExpert
    }
}
