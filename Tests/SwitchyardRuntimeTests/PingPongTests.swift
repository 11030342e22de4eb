import Testing
import SwitchyardCore
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardProtocol
import SwitchyardTraffic
@testable import SwitchyardRuntime

/// Two micro-batches with their exchanges in flight in turn give the tokens of one batch.
@Suite struct PingPongTests {
    func requests(_ config: ModelConfig) -> [GenerationRequest] {
        WorkloadRunner.syntheticRequests(count: 6, promptTokens: 5, newTokens: 4, vocabSize: config.vocabSize)
    }

    @Test func inOneProcessPingPongMatchesOneBatch() throws {
        let config = ModelPreset.tiny.config
        let source = SyntheticWeights(config: config, seed: 3)
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let experts = LocalExperts(weights: try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts)),
                                   hiddenSize: config.hiddenSize)
        let prompts = [[3, 14, 15], [92, 65], [35, 89, 79, 32], [38]]
        func logits(_ overlap: Overlap, lastOnly: Bool = false) throws -> [Float] {
            let batch = prompts.map { SequenceStep(cache: KVCache(config: config), tokens: $0) }
            return overlap == .pingpong ? try model.stepPingPong(batch, experts: experts, lastOnly: lastOnly)
                : try model.step(batch, experts: experts, lastOnly: lastOnly)
        }
        let one = try logits(.none), two = try logits(.pingpong)
        #expect(one.count == two.count)
        // 10 rows: every product streams (Linear.streamingTokenLimit), summing each token in one
        // order whatever shares it, so the halves give the whole batch's logits bit for bit.
        #expect(one == two, "max |Δ| \(maxDifference(one, two))")
        // Each sequence's last row only (what the workload and the server sample), both ways, the same rows.
        let vocab = config.vocabSize
        var end = 0
        let lastRows = prompts.flatMap { prompt -> ArraySlice<Float> in
            end += prompt.count
            return one[((end - 1) * vocab)..<(end * vocab)]
        }
        #expect(try logits(.none, lastOnly: true) == lastRows)
        #expect(try logits(.pingpong, lastOnly: true) == lastRows)
    }

    @Test func overTheClusterPingPongGivesTheSameTokensAndLabelsMicroBatches() throws {
        let none = try EmbeddedCluster(hosts: 4)
        try none.coordinator.handshake(timeout: .seconds(30))
        let model = Mistral4Model(weights: try Mistral4Weights(config: none.config, source: none.source))
        let expected = try WorkloadRunner(model: model, experts: none.coordinator).run(requests(none.config), maxBatch: 4).outputs

        let pingpong = try EmbeddedCluster(hosts: 4)
        try pingpong.coordinator.handshake(timeout: .seconds(30))
        let report = try WorkloadRunner(model: model, experts: pingpong.coordinator).run(requests(pingpong.config), maxBatch: 4, overlap: .pingpong)
        #expect(report.outputs == expected)
        let microBatches = Set(pingpong.coordinator.traffic.records.map(\.microBatch))
        #expect(microBatches == [0, 1])
        #expect(pingpong.coordinator.session.openExchanges.isEmpty)
    }
}
