import Testing
import SwitchyardKernels
@testable import SwitchyardModel
import SwitchyardRuntime
import SwitchyardModelConfig

@Suite struct ForwardTests {
    let config = ModelPreset.tiny.config

    func model() throws -> (Mistral4Model, LocalExperts) {
        let source = SyntheticWeights(config: config, seed: 3)
        let weights = try Mistral4Weights(config: config, source: source)
        let experts = try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts))
        return (Mistral4Model(weights: weights), LocalExperts(weights: experts, hiddenSize: config.hiddenSize))
    }

    @Test func decodingThroughTheCacheEqualsRecomputingThePrefix() throws {
        let (model, experts) = try model()
        let tokens = [5, 17, 301, 42, 7, 99, 250, 3]
        let full = try model.step([SequenceStep(cache: KVCache(config: config), tokens: tokens)], experts: experts)
        let cache = KVCache(config: config)
        _ = try model.step([SequenceStep(cache: cache, tokens: Array(tokens.prefix(5)))], experts: experts)
        var worst: Float = 0, largest: Float = 0
        for (i, token) in tokens.dropFirst(5).enumerated() {
            let step = try model.step([SequenceStep(cache: cache, tokens: [token])], experts: experts)
            let row = 5 + i
            for v in 0..<config.vocabSize {
                worst = max(worst, abs(step[v] - full[row * config.vocabSize + v]))
                largest = max(largest, abs(full[row * config.vocabSize + v]))
            }
        }
        #expect(cache.count == tokens.count)
        #expect(largest > 0.1)
        #expect(worst <= 1e-5 * largest, "cached decode differs by \(worst) (largest logit \(largest))")
        // Only the latent and the rotary key are kept: kv_lora_rank + qk_rope_head_dim per token and layer.
        #expect(cache.storedValues == tokens.count * config.numHiddenLayers * (config.kvLoraRank + config.qkRopeHeadDim))
    }

    @Test func aBatchOfSequencesEqualsEachSequenceAlone() throws {
        let (model, experts) = try model()
        let a = [1, 2, 3, 4], b = [100, 200]
        let together = try model.step([SequenceStep(cache: KVCache(config: config), tokens: a),
                                       SequenceStep(cache: KVCache(config: config), tokens: b)], experts: experts)
        let alone = try model.step([SequenceStep(cache: KVCache(config: config), tokens: a)], experts: experts)
            + model.step([SequenceStep(cache: KVCache(config: config), tokens: b)], experts: experts)
        let worst = zip(together, alone).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4)
    }

    @Test func lastOnlyLogitsAreEachSequencesLastRow() throws {
        let (model, experts) = try model()
        let a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], b = [100, 200], v = config.vocabSize
        let full = try model.step([SequenceStep(cache: KVCache(config: config), tokens: a),
                                   SequenceStep(cache: KVCache(config: config), tokens: b)], experts: experts)
        let cacheA = KVCache(config: config), cacheB = KVCache(config: config)
        let last = try model.step([SequenceStep(cache: cacheA, tokens: a), SequenceStep(cache: cacheB, tokens: b)],
                                  experts: experts, lastOnly: true)
        #expect(last.count == 2 * v)
        // 13 rows take the LM head's sgemm, 2 its streaming kernel: equal to float32 rounding.
        let expected = Array(full[((a.count - 1) * v)..<(a.count * v)]) + Array(full[((a.count + b.count - 1) * v)..<((a.count + b.count) * v)])
        let largest = expected.map(abs).max()!, worst = zip(last, expected).map { abs($0 - $1) }.max()!
        #expect(largest > 0.1)
        #expect(worst <= 1e-5 * largest, "last-position logits differ by \(worst) (largest logit \(largest))")
        #expect(cacheA.count == a.count && cacheB.count == b.count)
    }

    @Test func tokenOutsideTheVocabularyIsRefused() throws {
        let (model, experts) = try model()
        #expect(throws: TokenOutOfRange.self) {
            _ = try model.step([SequenceStep(cache: KVCache(config: config), tokens: [1, 512])], experts: experts)
        }
    }
}
