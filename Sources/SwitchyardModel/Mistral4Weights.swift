import SwitchyardModelConfig

/// MLA attention's weights, named as in the checkpoint (`self_attn.*`).
public struct SelfAttentionWeights: Sendable {
    /// Low-rank query path (q_a_proj → q_a_layernorm → q_b_proj), or one dense q_proj.
    public enum Query: Sendable {
        case lowRank(qAProj: WeightMatrix, qALayernorm: [Float], qBProj: WeightMatrix)
        case dense(qProj: WeightMatrix)
    }

    public let query: Query
    /// [kv_lora_rank + qk_rope_head_dim, hidden]: the compressed latent and the shared rotary key.
    public let kvAProjWithMqa: WeightMatrix
    public let kvALayernorm: [Float]
    /// [heads · (qk_nope_head_dim + v_head_dim), kv_lora_rank], widened to float32: attention
    /// multiplies queries into the latent space and the latent back out per head.
    public let kvBProj: [Float]
    /// [hidden, heads · v_head_dim]
    public let oProj: WeightMatrix

    public var residentBytes: Int {
        let q = switch query {
        case let .lowRank(a, norm, b): a.residentBytes + norm.count * 4 + b.residentBytes
        case let .dense(p): p.residentBytes
        }
        return q + kvAProjWithMqa.residentBytes + kvALayernorm.count * 4 + kvBProj.count * 4 + oProj.residentBytes
    }
}

/// A decoder layer's feed-forward part: a dense MLP below first_k_dense_replace, MoE above.
public enum FeedForwardWeights: Sendable {
    case dense(ExpertWeights)
    /// The router's weight [n_routed_experts, hidden] (float32) and the shared expert; routed
    /// experts are held apart, by whoever computes them.
    case moe(gate: [Float], sharedExperts: ExpertWeights?)
}

public struct DecoderLayerWeights: Sendable {
    public let inputLayernorm: [Float]
    public let selfAttn: SelfAttentionWeights
    public let postAttentionLayernorm: [Float]
    public let mlp: FeedForwardWeights
}

/// Everything but the routed experts: what the coordinator holds.
public struct Mistral4Weights: Sendable {
    public let config: ModelConfig
    public let embedTokens: WeightMatrix
    public let layers: [DecoderLayerWeights]
    public let norm: [Float]
    public let lmHead: WeightMatrix

    /// Loads every tensor except the routed experts from `source`.
    public init(config c: ModelConfig, source: WeightSource) throws {
        config = c
        let h = c.hiddenSize, heads = c.numAttentionHeads
        embedTokens = try source.matrix(TensorNames.embedTokens, rows: c.vocabSize, cols: h)
        layers = try (0..<c.numHiddenLayers).map { l in
            let query: SelfAttentionWeights.Query
            if let q = c.qLoraRank {
                query = .lowRank(
                    qAProj: try source.matrix(TensorNames.attention(l, .qAProj), rows: q, cols: h),
                    qALayernorm: try source.vector(TensorNames.attention(l, .qALayernorm), count: q),
                    qBProj: try source.matrix(TensorNames.attention(l, .qBProj), rows: heads * c.qkHeadDim, cols: q))
            } else {
                query = .dense(qProj: try source.matrix(TensorNames.attention(l, .qProj), rows: heads * c.qkHeadDim, cols: h))
            }
            let attention = SelfAttentionWeights(
                query: query,
                kvAProjWithMqa: try source.matrix(TensorNames.attention(l, .kvAProjWithMqa), rows: c.kvLoraRank + c.qkRopeHeadDim, cols: h),
                kvALayernorm: try source.vector(TensorNames.attention(l, .kvALayernorm), count: c.kvLoraRank),
                kvBProj: try source.matrix(TensorNames.attention(l, .kvBProj), rows: heads * (c.qkNopeHeadDim + c.vHeadDim), cols: c.kvLoraRank).floats,
                oProj: try source.matrix(TensorNames.attention(l, .oProj), rows: h, cols: heads * c.vHeadDim))
            let mlp: FeedForwardWeights
            if c.isMoELayer(l) {
                let shared: ExpertWeights? = c.nSharedExperts > 0
                    ? try ExpertWeights.load(from: source, named: { TensorNames.sharedExpert(l, $0) }, hidden: h, intermediate: c.sharedIntermediateSize)
                    : nil
                mlp = .moe(gate: try source.matrix(TensorNames.router(l), rows: c.nRoutedExperts, cols: h).floats, sharedExperts: shared)
            } else {
                mlp = .dense(try ExpertWeights.load(from: source, named: { TensorNames.denseMLP(l, $0) }, hidden: h, intermediate: c.intermediateSize))
            }
            return DecoderLayerWeights(
                inputLayernorm: try source.vector(TensorNames.inputNorm(l), count: h),
                selfAttn: attention,
                postAttentionLayernorm: try source.vector(TensorNames.postAttentionNorm(l), count: h),
                mlp: mlp)
        }
        norm = try source.vector(TensorNames.finalNorm, count: h)
        lmHead = c.tieWordEmbeddings ? embedTokens : try source.matrix(TensorNames.lmHead, rows: c.vocabSize, cols: h)
    }

    public var residentBytes: Int {
        var total = embedTokens.residentBytes + norm.count * 4
        if !config.tieWordEmbeddings { total += lmHead.residentBytes }
        for layer in layers {
            total += (layer.inputLayernorm.count + layer.postAttentionLayernorm.count) * 4 + layer.selfAttn.residentBytes
            switch layer.mlp {
            case let .dense(mlp): total += mlp.residentBytes
            case let .moe(gate, shared): total += gate.count * 4 + (shared?.residentBytes ?? 0)
            }
        }
        return total
    }
}

/// The routed experts a process holds: for every MoE layer, the experts it owns.
public struct RoutedExpertWeights: Sendable {
    /// experts[layer][expert id]; empty for dense layers.
    public let experts: [[Int: ExpertWeights]]
    public let owned: [Int]

    /// Loads (or generates) only the experts in `owned`, for every MoE layer.
    public init(config: ModelConfig, source: WeightSource, owned: [Int]) throws {
        self.owned = owned.sorted()
        experts = try (0..<config.numHiddenLayers).map { layer in
            guard config.isMoELayer(layer) else { return [:] }
            var slice: [Int: ExpertWeights] = [:]
            for e in owned { slice[e] = try source.expert(layer: layer, expert: e) }
            return slice
        }
    }

    public var residentBytes: Int { experts.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.residentBytes } } }
}
