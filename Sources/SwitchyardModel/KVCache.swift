import SwitchyardModelConfig

/// One sequence's attention cache. MLA keeps per token and layer only the normalised compressed
/// latent (kv_lora_rank values) and the rotated shared key (qk_rope_head_dim values).
public final class KVCache {
    public let latentWidth: Int
    public let ropeWidth: Int
    /// latent[layer]: positions × kv_lora_rank
    var latent: [[Float]]
    /// rope[layer]: positions × qk_rope_head_dim
    var rope: [[Float]]
    /// Positions cached in every layer.
    public private(set) var count = 0

    public init(config: ModelConfig) {
        latentWidth = config.kvLoraRank
        ropeWidth = config.qkRopeHeadDim
        latent = Array(repeating: [], count: config.numHiddenLayers)
        rope = Array(repeating: [], count: config.numHiddenLayers)
    }

    /// Values held, over all layers and positions.
    public var storedValues: Int { latent.reduce(0) { $0 + $1.count } + rope.reduce(0) { $0 + $1.count } }

    func append(layer: Int, latent newLatent: UnsafeBufferPointer<Float>, rope newRope: UnsafeBufferPointer<Float>) {
        latent[layer].append(contentsOf: newLatent)
        rope[layer].append(contentsOf: newRope)
    }

    /// Called once per step, after every layer appended the step's tokens.
    func advance(by tokens: Int) {
        count += tokens
        precondition(latent.allSatisfy { $0.count == count * latentWidth }, "a layer missed the step's tokens")
    }
}
