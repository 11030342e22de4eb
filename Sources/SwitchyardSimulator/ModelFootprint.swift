import SwitchyardModelConfig

/// Bytes and parameter counts of every part of a model that the planner and the cost model
/// place on devices, at one weight format.
///
/// Quantized formats apply to the matrices of attention, the shared expert, dense MLPs and the
/// routed experts; embeddings, the LM head, routers and norms stay bf16, as published FP8 and
/// NVFP4 checkpoints keep them.
public struct ModelFootprint: Sendable {
    public let config: ModelConfig
    public let weights: WeightFormat
    public let kvCache: KVCacheDType

    public let perExpertParameters: Int
    public let perExpertBytes: Double
    /// Matrix parameters of one layer's attention (the vectors are negligible in FLOPs).
    public let attentionMatrixParametersPerLayer: Int
    public let attentionBytesPerLayer: Double
    public let routerBytesPerLayer: Double
    public let sharedExpertParametersPerLayer: Int
    public let sharedExpertBytesPerLayer: Double
    public let denseMLPParametersPerLayer: Int
    public let denseMLPBytesPerLayer: Double
    public let normBytes: Double
    public let embeddingBytes: Double
    public let lmHeadBytes: Double

    public init(config c: ModelConfig, weights: WeightFormat, kvCache: KVCacheDType = .bf16) {
        self.config = c
        self.weights = weights
        self.kvCache = kvCache
        let h = c.hiddenSize, heads = c.numAttentionHeads
        let counts = ParameterCount(c)
        perExpertParameters = counts.perRoutedExpert
        perExpertBytes = Self.mlpBytes(hidden: h, intermediate: c.moeIntermediateSize, weights)

        var matrices: [(Int, Int)] = []
        var vectors = c.kvLoraRank
        if let q = c.qLoraRank {
            matrices += [(q, h), (heads * c.qkHeadDim, q)]
            vectors += q
        } else {
            matrices.append((heads * c.qkHeadDim, h))
        }
        matrices += [(c.kvLoraRank + c.qkRopeHeadDim, h), (heads * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank), (h, heads * c.vHeadDim)]
        attentionMatrixParametersPerLayer = matrices.reduce(0) { $0 + $1.0 * $1.1 }
        attentionBytesPerLayer = matrices.reduce(2 * Double(vectors)) { $0 + weights.matrixBytes(rows: $1.0, cols: $1.1) }

        routerBytesPerLayer = 2 * Double(c.nRoutedExperts * h)
        sharedExpertParametersPerLayer = 3 * h * c.sharedIntermediateSize
        sharedExpertBytesPerLayer = c.nSharedExperts > 0 ? Self.mlpBytes(hidden: h, intermediate: c.sharedIntermediateSize, weights) : 0
        denseMLPParametersPerLayer = 3 * h * c.intermediateSize
        denseMLPBytesPerLayer = c.intermediateSize > 0 ? Self.mlpBytes(hidden: h, intermediate: c.intermediateSize, weights) : 0
        normBytes = 2 * Double(counts.norms)
        embeddingBytes = 2 * Double(counts.embedding)
        lmHeadBytes = 2 * Double(counts.lmHead)
    }

    /// Gate and up (intermediate × hidden) and down (hidden × intermediate).
    static func mlpBytes(hidden: Int, intermediate: Int, _ weights: WeightFormat) -> Double {
        2 * weights.matrixBytes(rows: intermediate, cols: hidden) + weights.matrixBytes(rows: hidden, cols: intermediate)
    }

    /// Everything but the routed experts: what each attention device holds a full copy of.
    public var attentionSideBytes: Double {
        let layers = Double(config.numHiddenLayers), moe = Double(config.moeLayerCount)
        return layers * attentionBytesPerLayer + moe * (routerBytesPerLayer + sharedExpertBytesPerLayer)
            + Double(config.firstKDenseReplace) * denseMLPBytesPerLayer + normBytes + embeddingBytes + lmHeadBytes
    }

    /// One routed expert in every MoE layer: what a device holds per expert it owns.
    public var expertBytesAcrossLayers: Double { perExpertBytes * Double(config.moeLayerCount) }

    /// The MLA cache of one token in one layer: the compressed latent and the rotary key.
    public var kvBytesPerTokenPerLayer: Double { Double(config.kvCacheValuesPerTokenPerLayer) * kvCache.bytesPerValue }
    public var kvBytesPerToken: Double { kvBytesPerTokenPerLayer * Double(config.numHiddenLayers) }
}
