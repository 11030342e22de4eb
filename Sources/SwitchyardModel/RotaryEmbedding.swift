import Foundation
import SwitchyardModelConfig

/// YaRN rotary position embedding over the `qk_rope_head_dim` part of queries and keys.
///
/// Pairs of dimensions are rotated by position × inverse frequency. With `rope_interleave` the
/// pairs are adjacent values (x[2i], x[2i+1]); without it they are (x[i], x[i + d/2]). Queries and
/// keys use the same layout, so their dot products are those of the reference implementation.
public struct RotaryEmbedding: Sendable {
    public let dim: Int
    public let interleaved: Bool
    /// dim / 2 inverse frequencies, float32 as the reference computes them.
    public let inverseFrequencies: [Float]
    /// YaRN's magnitude correction applied to cos and sin.
    public let attentionFactor: Float

    public init(config: ModelConfig) {
        dim = config.qkRopeHeadDim
        interleaved = config.ropeInterleave
        inverseFrequencies = Self.inverseFrequencies(config: config)
        attentionFactor = config.ropeParameters.isYaRN ? Float(Self.yarnAttentionFactor(config.ropeParameters)) : 1
    }

    static func inverseFrequencies(config: ModelConfig) -> [Float] {
        let rope = config.ropeParameters
        let dim = Double(config.qkRopeHeadDim)
        // base^(2i/d), the frequencies of plain RoPE.
        let positionFrequencies = (0..<(config.qkRopeHeadDim / 2)).map { pow(rope.ropeTheta, Double(2 * $0) / dim) }
        guard rope.isYaRN else { return positionFrequencies.map { Float(1 / $0) } }
        let original = Double(rope.originalMaxPositionEmbeddings ?? config.maxPositionEmbeddings)
        // Dimensions rotating fewer than beta_slow times over the original context are interpolated,
        // more than beta_fast times extrapolated, with a linear ramp in between.
        func correctionDim(_ rotations: Double) -> Double {
            dim * log(original / (rotations * 2 * Double.pi)) / (2 * log(rope.ropeTheta))
        }
        let low = max(floor(correctionDim(rope.betaFast)), 0)
        var high = min(ceil(correctionDim(rope.betaSlow)), dim - 1)
        if low == high { high += 0.001 }
        return positionFrequencies.indices.map { i in
            let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
            let extrapolationShare = Float(1 - ramp)
            let extrapolation = Float(1 / positionFrequencies[i])
            let interpolation = Float(1 / (rope.factor * positionFrequencies[i]))
            return interpolation * (1 - extrapolationShare) + extrapolation * extrapolationShare
        }
    }

    /// 0.1 · m · ln(s) + 1 for scale s > 1, the YaRN magnitude correction.
    public static func yarnMscale(scale: Double, mscale: Double = 1) -> Double {
        scale <= 1 ? 1 : 0.1 * mscale * log(scale) + 1
    }

    static func yarnAttentionFactor(_ rope: RopeParameters) -> Double {
        if rope.mscale != 0, rope.mscaleAllDim != 0 {
            return yarnMscale(scale: rope.factor, mscale: rope.mscale) / yarnMscale(scale: rope.factor, mscale: rope.mscaleAllDim)
        }
        return yarnMscale(scale: rope.factor)
    }

    /// Rotates one head's rotary part (`dim` values) in place for `position`.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, position: Int) {
        let half = dim / 2
        let p = Float(position)
        for i in 0..<half {
            let angle = p * inverseFrequencies[i]
            let c = Float(cos(Double(angle))) * attentionFactor
            let s = Float(sin(Double(angle))) * attentionFactor
            let (ia, ib) = interleaved ? (2 * i, 2 * i + 1) : (i, i + half)
            let a = x[ia], b = x[ib]
            x[ia] = a * c - b * s
            x[ib] = b * c + a * s
        }
    }
}

/// Softmax scale and the llama-4 position-dependent query scale of MLA attention.
public struct AttentionScaling: Sendable {
    /// 1/sqrt(qk_head_dim), times YaRN's mscale(factor, mscale_all_dim)² when YaRN is on.
    public let softmaxScale: Float
    let llama4Beta: Double
    let llama4Period: Double

    public init(config: ModelConfig) {
        let rope = config.ropeParameters
        var scale = 1 / Double(config.qkHeadDim).squareRoot()
        if rope.isYaRN, rope.mscaleAllDim != 0 {
            let m = RotaryEmbedding.yarnMscale(scale: rope.factor, mscale: rope.mscaleAllDim)
            scale *= m * m
        }
        softmaxScale = Float(scale)
        llama4Beta = rope.llama4ScalingBeta ?? 0
        llama4Period = Double(rope.originalMaxPositionEmbeddings ?? config.maxPositionEmbeddings)
    }

    /// 1 + β · ln(1 + ⌊position / original_max_position_embeddings⌋): queries far past the
    /// original context are sharpened.
    public func queryScale(position: Int) -> Float {
        guard llama4Beta != 0 else { return 1 }
        return Float(1 + llama4Beta * log(1 + floor(Double(position) / llama4Period)))
    }
}
