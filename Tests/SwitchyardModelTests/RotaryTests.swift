import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardModelConfig

@Suite struct RotaryTests {
    @Test func plainRopeRotatesAdjacentPairsWhenInterleaved() {
        var c = ModelPreset.tiny.config
        c.ropeParameters = RopeParameters(ropeTheta: 10000)
        c.qkRopeHeadDim = 4
        let rope = RotaryEmbedding(config: c)
        #expect(rope.inverseFrequencies == [1, 0.01])
        var x: [Float] = [1, 0, 0, 1]
        x.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, position: 2) }
        // Pair 0 turns by 2 rad, pair 1 by 0.02 rad.
        #expect(abs(x[0] - Float(cos(2.0))) < 1e-6 && abs(x[1] - Float(sin(2.0))) < 1e-6)
        #expect(abs(x[2] - Float(-sin(0.02))) < 1e-6 && abs(x[3] - Float(cos(0.02))) < 1e-6)
    }

    @Test func yarnInterpolatesLowFrequenciesAndKeepsHighOnes() {
        // dim 8, theta 10000, factor 4, original 64: correction dims from beta_fast 32 and beta_slow 1.
        var c = ModelPreset.tiny.config
        c.qkRopeHeadDim = 8
        c.ropeParameters = RopeParameters(ropeType: "yarn", ropeTheta: 10000, factor: 4, originalMaxPositionEmbeddings: 64,
                                          betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1)
        let rope = RotaryEmbedding(config: c)
        // low = floor(8·ln(64/(32·2π))/(2 ln 10000)) = floor(-0.497) → clamped to 0;
        // high = ceil(8·ln(64/(1·2π))/(2 ln 10000)) = ceil(1.008) = 2. The ramp is i/2.
        let plain = (0..<4).map { 1 / pow(10000.0, Double(2 * $0) / 8) }
        let expected = [plain[0], 0.5 * plain[1] + 0.5 * plain[1] / 4, plain[2] / 4, plain[3] / 4]
        for i in 0..<4 { #expect(abs(Double(rope.inverseFrequencies[i]) - expected[i]) < 1e-6 * expected[i], "dim pair \(i)") }
        // mscale == mscale_all_dim: cos and sin are not rescaled; the softmax scale gets mscale².
        #expect(rope.attentionFactor == 1)
        let m = 0.1 * log(4.0) + 1
        #expect(abs(Double(AttentionScaling(config: c).softmaxScale) - m * m / Double(c.qkHeadDim).squareRoot()) < 1e-7)
    }

    @Test func llama4QueryScaleGrowsPerOriginalContextLength() {
        var c = ModelPreset.tiny.config
        c.ropeParameters.llama4ScalingBeta = 0.1
        c.ropeParameters.originalMaxPositionEmbeddings = 64
        let s = AttentionScaling(config: c)
        #expect(s.queryScale(position: 63) == 1)
        #expect(abs(s.queryScale(position: 64) - Float(1 + 0.1 * log(2.0))) < 1e-7)
        #expect(abs(s.queryScale(position: 200) - Float(1 + 0.1 * log(4.0))) < 1e-7)
    }
}
