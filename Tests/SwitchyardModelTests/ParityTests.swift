import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardRuntime

/// The small random Mistral4 checkpoint made by transformers' Mistral4ForCausalLM
/// (scripts/make_parity_fixture.py), its logits on a 32-token prompt and its greedy continuation.
enum ParityFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/mistral4-parity").standardized

    struct Reference: Decodable {
        let prompt: [Int]
        let greedy: [Int]
        let greedyBF16: [Int]
        enum CodingKeys: String, CodingKey { case prompt, greedy, greedyBF16 = "greedy_bf16" }
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    }

    static func model(_ checkpoint: String) throws -> (Mistral4Model, LocalExperts, CheckpointDirectory) {
        let source = try CheckpointDirectory(directory.appendingPathComponent(checkpoint))
        let config = source.config
        let weights = try Mistral4Weights(config: config, source: source)
        let experts = try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts))
        return (Mistral4Model(weights: weights), LocalExperts(weights: experts, hiddenSize: config.hiddenSize), source)
    }
}

@Suite struct ParityTests {
    /// Logits of the prompt against transformers' own; max |Δ| ≤ tolerance × max |logit|.
    func checkLogits(checkpoint: String, logitsFile: String, tolerance: Float) throws {
        let reference = try ParityFixture.reference()
        let (model, experts, _) = try ParityFixture.model(checkpoint)
        let expected = try NumpyArray.read(contentsOf: ParityFixture.directory.appendingPathComponent(logitsFile))
        #expect(expected.shape == [reference.prompt.count, model.config.vocabSize])
        let logits = try model.step([SequenceStep(cache: KVCache(config: model.config), tokens: reference.prompt)], experts: experts)
        let largest = expected.values.map(abs).max()!
        let worst = zip(logits, expected.values).map { abs($0 - $1) }.max()!
        #expect(worst <= tolerance * largest, "\(checkpoint): max |Δlogit| \(worst), max |logit| \(largest)")
    }

    @Test func fusedFloat32LogitsMatchTransformers() throws {
        try checkLogits(checkpoint: "fused-f32", logitsFile: "logits-f32.npy", tolerance: 1e-4)
    }

    @Test func perExpertShardedLayoutGivesTheSameLogits() throws {
        try checkLogits(checkpoint: "per-expert-f32", logitsFile: "logits-f32.npy", tolerance: 1e-4)
    }

    /// BF16 weights are kept in 16 bits and computed in float32; the reference is transformers on
    /// the same bf16-rounded weights in float32, so only summation order differs: the tolerance stays
    /// 1e-4 of the largest logit (the bf16 rounding itself moves logits by up to 0.29 here).
    @Test func bf16CheckpointMatchesTransformersOnTheRoundedWeights() throws {
        try checkLogits(checkpoint: "fused-bf16", logitsFile: "logits-bf16.npy", tolerance: 1e-4)
    }

    @Test(arguments: ["fused-f32", "per-expert-f32", "fused-bf16"])
    func greedyContinuationIsIdentical(checkpoint: String) throws {
        let reference = try ParityFixture.reference()
        let (model, experts, _) = try ParityFixture.model(checkpoint)
        let result = try Generator(model: model, experts: experts).generate(prompt: reference.prompt, count: reference.greedy.count)
        #expect(result.generated == (checkpoint == "fused-bf16" ? reference.greedyBF16 : reference.greedy))
    }

    @Test func bf16WeightsStayInSixteenBits() throws {
        let (model, _, _) = try ParityFixture.model("fused-bf16")
        guard case .bf16 = model.weights.embedTokens.storage else {
            Issue.record("embedding was widened to float32")
            return
        }
    }
}
