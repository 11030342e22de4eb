/// Mistral4's tensor names, as transformers saves them: the one table every reader and writer
/// of weights (checkpoints, synthetic weights, the writer, the model) names tensors with.
public enum TensorNames {
    /// MLA attention's tensors, `model.layers.L.self_attn.<name>.weight`.
    public enum Attention: String, Sendable, CaseIterable {
        case qAProj = "q_a_proj"
        case qALayernorm = "q_a_layernorm"
        case qBProj = "q_b_proj"
        /// The dense query projection of a configuration without q_lora_rank.
        case qProj = "q_proj"
        case kvAProjWithMqa = "kv_a_proj_with_mqa"
        case kvALayernorm = "kv_a_layernorm"
        case kvBProj = "kv_b_proj"
        case oProj = "o_proj"
    }

    /// The three projections of an MLP: a dense layer's, the shared expert's, a routed expert's.
    public enum Projection: String, Sendable, CaseIterable {
        case gate = "gate_proj"
        case up = "up_proj"
        case down = "down_proj"
    }

    public static let embedTokens = "model.embed_tokens.weight"
    public static let finalNorm = "model.norm.weight"
    public static let lmHead = "lm_head.weight"

    public static func layer(_ layer: Int) -> String { "model.layers.\(layer)" }
    public static func attention(_ layer: Int, _ tensor: Attention) -> String { "\(Self.layer(layer)).self_attn.\(tensor.rawValue).weight" }
    public static func inputNorm(_ layer: Int) -> String { "\(Self.layer(layer)).input_layernorm.weight" }
    public static func postAttentionNorm(_ layer: Int) -> String { "\(Self.layer(layer)).post_attention_layernorm.weight" }
    /// The router's weight, [n_routed_experts, hidden_size].
    public static func router(_ layer: Int) -> String { "\(Self.layer(layer)).mlp.gate.weight" }
    public static func sharedExpert(_ layer: Int, _ projection: Projection) -> String {
        "\(Self.layer(layer)).mlp.shared_experts.\(projection.rawValue).weight"
    }
    /// A dense MLP's projection, for layers below first_k_dense_replace.
    public static func denseMLP(_ layer: Int, _ projection: Projection) -> String { "\(Self.layer(layer)).mlp.\(projection.rawValue).weight" }
    /// Every routed expert's gate and up rows, [E, 2·I, H] (transformers 5.x's fused layout).
    public static func fusedGateUp(_ layer: Int) -> String { "\(Self.layer(layer)).mlp.experts.gate_up_proj" }
    /// Every routed expert's down projection, [E, H, I].
    public static func fusedDown(_ layer: Int) -> String { "\(Self.layer(layer)).mlp.experts.down_proj" }
    /// The block scales of an FP8 matrix (DeepSeek-V3's `<name>_scale_inv`, beside `<name>`).
    public static func fp8Scale(of matrix: String) -> String { matrix + "_scale_inv" }

    /// Whether matrix `name` is a Linear layer's weight, which FP8 checkpoints store as F8_E4M3
    /// with `<name>_scale_inv`: attention and MLP projections and experts, not the embedding, the LM
    /// head or the router (DeepSeek-V3's and transformers' fine-grained FP8 leave those unquantised).
    public static func isFP8Linear(_ name: String) -> Bool {
        name != embedTokens && name != lmHead && !name.hasSuffix(".mlp.gate.weight")
    }
    /// One routed expert's projection in the per-expert layout.
    public static func expert(_ layer: Int, _ expert: Int, _ projection: Projection) -> String {
        "\(Self.layer(layer)).mlp.experts.\(expert).\(projection.rawValue).weight"
    }
}
