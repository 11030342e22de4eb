import SwitchyardModelConfig

/// How a checkpoint stores the routed experts.
public enum ExpertLayout: String, Sendable, CaseIterable {
    /// transformers 5.x: `mlp.experts.gate_up_proj` [E, 2·I, H] and `mlp.experts.down_proj` [E, H, I].
    case fused
    /// DeepSeek-V3 style: `mlp.experts.{e}.{gate,up,down}_proj.weight`, one tensor each.
    case perExpert = "per-expert"
}

/// One tensor a checkpoint of a given configuration holds: its name and shape.
public struct CheckpointTensor: Sendable, Equatable {
    /// What a writer asks a `WeightSource` for to fill the tensor.
    public enum Content: Sendable, Equatable {
        case matrix
        case vector
        /// Every expert's gate rows, then its up rows, expert after expert.
        case fusedGateUp(layer: Int)
        /// Every expert's down projection, expert after expert.
        case fusedDown(layer: Int)
        /// One projection of one expert, stored on its own.
        case expertProjection(layer: Int, expert: Int, projection: TensorNames.Projection)
    }

    public let name: String
    public let shape: [Int]
    public let content: Content
    public var elementCount: Int { shape.reduce(1, *) }
}

/// Every tensor of a Mistral4 checkpoint with its shape, in the order a writer lays them out.
public struct CheckpointLayout: Sendable {
    public let config: ModelConfig
    public let expertLayout: ExpertLayout
    public let tensors: [CheckpointTensor]

    public init(config c: ModelConfig, expertLayout: ExpertLayout) {
        self.config = c
        self.expertLayout = expertLayout
        let h = c.hiddenSize, heads = c.numAttentionHeads
        var list: [CheckpointTensor] = []
        func add(_ name: String, _ shape: Int..., content: CheckpointTensor.Content? = nil) {
            list.append(CheckpointTensor(name: name, shape: shape, content: content ?? (shape.count == 1 ? .vector : .matrix)))
        }
        add(TensorNames.embedTokens, c.vocabSize, h)
        for l in 0..<c.numHiddenLayers {
            add(TensorNames.inputNorm(l), h)
            if let q = c.qLoraRank {
                add(TensorNames.attention(l, .qAProj), q, h)
                add(TensorNames.attention(l, .qALayernorm), q)
                add(TensorNames.attention(l, .qBProj), heads * c.qkHeadDim, q)
            } else {
                add(TensorNames.attention(l, .qProj), heads * c.qkHeadDim, h)
            }
            add(TensorNames.attention(l, .kvAProjWithMqa), c.kvLoraRank + c.qkRopeHeadDim, h)
            add(TensorNames.attention(l, .kvALayernorm), c.kvLoraRank)
            add(TensorNames.attention(l, .kvBProj), heads * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank)
            add(TensorNames.attention(l, .oProj), h, heads * c.vHeadDim)
            add(TensorNames.postAttentionNorm(l), h)
            if c.isMoELayer(l) {
                let e = c.nRoutedExperts, i = c.moeIntermediateSize
                add(TensorNames.router(l), e, h)
                switch expertLayout {
                case .fused:
                    add(TensorNames.fusedGateUp(l), e, 2 * i, h, content: .fusedGateUp(layer: l))
                    add(TensorNames.fusedDown(l), e, h, i, content: .fusedDown(layer: l))
                case .perExpert:
                    for x in 0..<e {
                        for (projection, shape) in [(TensorNames.Projection.gate, [i, h]), (.up, [i, h]), (.down, [h, i])] {
                            list.append(CheckpointTensor(name: TensorNames.expert(l, x, projection), shape: shape,
                                                         content: .expertProjection(layer: l, expert: x, projection: projection)))
                        }
                    }
                }
                if c.sharedIntermediateSize > 0 {
                    add(TensorNames.sharedExpert(l, .gate), c.sharedIntermediateSize, h)
                    add(TensorNames.sharedExpert(l, .up), c.sharedIntermediateSize, h)
                    add(TensorNames.sharedExpert(l, .down), h, c.sharedIntermediateSize)
                }
            } else {
                add(TensorNames.denseMLP(l, .gate), c.intermediateSize, h)
                add(TensorNames.denseMLP(l, .up), c.intermediateSize, h)
                add(TensorNames.denseMLP(l, .down), h, c.intermediateSize)
            }
        }
        add(TensorNames.finalNorm, h)
        if !c.tieWordEmbeddings { add(TensorNames.lmHead, c.vocabSize, h) }
        tensors = list
    }
}
