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
        /// One projection ("gate_proj", "up_proj" or "down_proj") of one expert, stored on its own.
        case expertProjection(layer: Int, expert: Int, projection: String)
    }

    public let name: String
    public let shape: [Int]
    public let content: Content
    public var elementCount: Int { shape.reduce(1, *) }
}

/// Mistral4's tensor names, as transformers saves them.
public enum TensorNames {
    public static let embedTokens = "model.embed_tokens.weight"
    public static let finalNorm = "model.norm.weight"
    public static let lmHead = "lm_head.weight"

    public static func layer(_ layer: Int) -> String { "model.layers.\(layer)" }
    /// `model.layers.L.self_attn.<projection>.weight`, e.g. projection "q_a_proj" or "kv_a_layernorm".
    public static func attention(_ layer: Int, _ projection: String) -> String { "\(Self.layer(layer)).self_attn.\(projection).weight" }
    public static func inputNorm(_ layer: Int) -> String { "\(Self.layer(layer)).input_layernorm.weight" }
    public static func postAttentionNorm(_ layer: Int) -> String { "\(Self.layer(layer)).post_attention_layernorm.weight" }
    /// The router's weight, [n_routed_experts, hidden_size].
    public static func router(_ layer: Int) -> String { "\(Self.layer(layer)).mlp.gate.weight" }
    /// The shared expert's projection ("gate_proj", "up_proj" or "down_proj").
    public static func sharedExpert(_ layer: Int, _ projection: String) -> String { "\(Self.layer(layer)).mlp.shared_experts.\(projection).weight" }
    /// A dense MLP's projection, for layers below first_k_dense_replace.
    public static func denseMLP(_ layer: Int, _ projection: String) -> String { "\(Self.layer(layer)).mlp.\(projection).weight" }
    public static func fusedGateUp(_ layer: Int) -> String { "\(Self.layer(layer)).mlp.experts.gate_up_proj" }
    public static func fusedDown(_ layer: Int) -> String { "\(Self.layer(layer)).mlp.experts.down_proj" }
    public static func expert(_ layer: Int, _ expert: Int, _ projection: String) -> String {
        "\(Self.layer(layer)).mlp.experts.\(expert).\(projection).weight"
    }

    /// Whether matrix `name` is a Linear layer's weight, which FP8 checkpoints store as F8_E4M3
    /// with `<name>_scale_inv`: attention and MLP projections and experts, not the embedding, the LM
    /// head or the router (DeepSeek-V3's and transformers' fine-grained FP8 leave those unquantised).
    public static func isFP8Linear(_ name: String) -> Bool {
        name != embedTokens && name != lmHead && !name.hasSuffix(".mlp.gate.weight")
    }
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
                add(TensorNames.attention(l, "q_a_proj"), q, h)
                add(TensorNames.attention(l, "q_a_layernorm"), q)
                add(TensorNames.attention(l, "q_b_proj"), heads * c.qkHeadDim, q)
            } else {
                add(TensorNames.attention(l, "q_proj"), heads * c.qkHeadDim, h)
            }
            add(TensorNames.attention(l, "kv_a_proj_with_mqa"), c.kvLoraRank + c.qkRopeHeadDim, h)
            add(TensorNames.attention(l, "kv_a_layernorm"), c.kvLoraRank)
            add(TensorNames.attention(l, "kv_b_proj"), heads * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank)
            add(TensorNames.attention(l, "o_proj"), h, heads * c.vHeadDim)
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
                        for (projection, shape) in [("gate_proj", [i, h]), ("up_proj", [i, h]), ("down_proj", [h, i])] {
                            list.append(CheckpointTensor(name: TensorNames.expert(l, x, projection), shape: shape,
                                                         content: .expertProjection(layer: l, expert: x, projection: projection)))
                        }
                    }
                }
                if c.sharedIntermediateSize > 0 {
                    add(TensorNames.sharedExpert(l, "gate_proj"), c.sharedIntermediateSize, h)
                    add(TensorNames.sharedExpert(l, "up_proj"), c.sharedIntermediateSize, h)
                    add(TensorNames.sharedExpert(l, "down_proj"), h, c.sharedIntermediateSize)
                }
            } else {
                add(TensorNames.denseMLP(l, "gate_proj"), c.intermediateSize, h)
                add(TensorNames.denseMLP(l, "up_proj"), c.intermediateSize, h)
                add(TensorNames.denseMLP(l, "down_proj"), h, c.intermediateSize)
            }
        }
        add(TensorNames.finalNorm, h)
        if !c.tieWordEmbeddings { add(TensorNames.lmHead, c.vocabSize, h) }
        tensors = list
    }
}
