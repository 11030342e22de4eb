/// The FLOPs and bytes of each kernel of a layer, from the model's shapes. See docs/SIMULATOR.md
/// for every formula.
public struct CostModel: Sendable {
    public let footprint: ModelFootprint
    public let phase: Phase
    public let context: Int
    /// Bytes per token of the expert activations read and written (input and output, bf16).
    let expertActivationBytes: Double

    public init(footprint: ModelFootprint, phase: Phase, context: Int) {
        self.footprint = footprint
        self.phase = phase
        self.context = context
        expertActivationBytes = 4 * Double(footprint.config.hiddenSize)
    }

    /// MLA attention of `tokens` tokens in one layer on one device: the projections at the weights'
    /// format, the scores and values at bf16, the weights and the KV cache through HBM.
    public func attention(tokens: Int, promptLength: Int) -> Work {
        guard tokens > 0 else { return .none }
        let c = footprint.config, n = Double(tokens), heads = Double(c.numAttentionHeads)
        let kv = footprint.kvBytesPerTokenPerLayer
        let core: Double, kvBytes: Double
        switch phase {
        case .decode:
            // Absorbed MLA: each head scores the latent and the rotary key, then sums latents.
            core = 2 * heads * Double(2 * c.kvLoraRank + c.qkRopeHeadDim) * Double(context) * n
            kvBytes = n * Double(context) * kv + n * kv
        case .prefill:
            // Causal attention over a prompt: on average (P + 1) / 2 positions per token.
            core = 2 * heads * Double(c.qkHeadDim + c.vHeadDim) * Double(promptLength + 1) / 2 * n
            kvBytes = 2 * n * kv
        }
        return Work(flops: 2 * Double(footprint.attentionMatrixParametersPerLayer) * n, format: footprint.weights.computeFormat,
                    bf16Flops: core, bytes: footprint.attentionBytesPerLayer + kvBytes)
    }

    /// The router's scores over every expert (a bf16 GEMM).
    public func router(tokens: Int) -> Work {
        guard tokens > 0 else { return .none }
        let c = footprint.config
        return Work(flops: 2 * Double(c.nRoutedExperts * c.hiddenSize) * Double(tokens), format: .bf16,
                    bytes: footprint.routerBytesPerLayer)
    }

    /// The shared expert of a MoE layer, or the dense MLP of a dense layer.
    public func sharedOrDense(tokens: Int, dense: Bool) -> Work {
        let parameters = dense ? footprint.denseMLPParametersPerLayer : footprint.sharedExpertParametersPerLayer
        guard tokens > 0, parameters > 0 else { return .none }
        return Work(flops: 2 * Double(parameters) * Double(tokens), format: footprint.weights.computeFormat,
                    bytes: dense ? footprint.denseMLPBytesPerLayer : footprint.sharedExpertBytesPerLayer)
    }

    /// A device's routed experts as one grouped GEMM: `routedTokens` (token, expert) pairs over
    /// `activeExperts` experts that got at least one token; each active expert's weights are read once.
    public func experts(routedTokens: Int, activeExperts: Int) -> Work {
        guard routedTokens > 0 else { return .none }
        let n = Double(routedTokens)
        return Work(flops: 2 * Double(footprint.perExpertParameters) * n, format: footprint.weights.computeFormat,
                    bytes: Double(activeExperts) * footprint.perExpertBytes + n * expertActivationBytes)
    }

    /// The LM head over `logits` tokens (bf16 weights).
    public func head(logits: Int) -> Work {
        guard logits > 0 else { return .none }
        let c = footprint.config
        return Work(flops: 2 * Double(c.vocabSize * c.hiddenSize) * Double(logits), format: .bf16, bytes: footprint.lmHeadBytes)
    }
}
