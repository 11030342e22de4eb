import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardModelConfig

@Suite struct RouterTests {
    /// 8 experts in 4 groups of 2; the 2 best groups stay; 3 experts a token; weights normalised and doubled.
    var config: ModelConfig {
        var c = ModelPreset.tiny.config
        c.nRoutedExperts = 8
        c.nGroup = 4
        c.topkGroup = 2
        c.numExpertsPerTok = 3
        c.routedScalingFactor = 2
        return c
    }

    @Test func groupLimitedTopKMatchesAHandComputedCase() {
        // Expert 1 has the second-best logit, but its group's two scores sum lower than group 1's:
        // softmax group sums are 0.21393, 0.21500, 0.51512, 0.05595, so groups 2 and 1 stay.
        let logits: [Float] = [0.1, 2.0, 1.5, 1.4, 3.0, -1.0, 0.0, 0.2]
        let routing = Router(config: config).select(logits: logits, tokens: 1)
        #expect(routing.experts == [4, 2, 3])
        let expected: [Float] = [1.4034825, 0.31315927, 0.28335823]
        for (got, want) in zip(routing.weights, expected) { #expect(abs(got - want) < 1e-6) }
    }

    @Test func withoutNormalisationWeightsAreTheSoftmaxScoresScaled() {
        var c = config
        c.normTopkProb = false
        c.nGroup = 1
        c.topkGroup = 1
        let logits: [Float] = [0, 0, 0, 0, 0, 0, 0, Float(log(8.0))]
        let routing = Router(config: c).select(logits: logits, tokens: 1)
        // Softmax: 1/15 for the seven zeros, 8/15 for the last.
        #expect(routing.experts == [7, 0, 1])
        #expect(abs(routing.weights[0] - 2 * 8 / 15) < 1e-6)
        #expect(abs(routing.weights[1] - 2 * 1 / 15) < 1e-6)
    }

    @Test func topIndicesBreaksTiesTowardTheLowerIndex() {
        #expect(Router.topIndices([1, 3, 3, 2, 3], count: 2) == [1, 2])
        #expect(Router.topIndices([5, 1], count: 1) == [0])
    }
}
