import Foundation
import Testing
import SwitchyardModel
import SwitchyardWire
@testable import SwitchyardProtocol
import SwitchyardTransport
@testable import SwitchyardRuntime
import SwitchyardCore
import SwitchyardModelConfig

/// The model split across expert hosts gives the single-process model's answer.
@Suite struct ClusterParityTests {
    let config = ModelPreset.tiny.config
    let prompt = [3, 141, 59, 265, 358, 97, 93, 238, 46, 264, 338, 327]

    func singleProcessLogits(_ source: WeightSource) throws -> [Float] {
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let experts = LocalExperts(weights: try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts)),
                                   hiddenSize: config.hiddenSize)
        return try model.step([SequenceStep(cache: KVCache(config: config), tokens: prompt)], experts: experts)
    }

    func clusterLogits(_ source: WeightSource, hosts: Int, strategy: Placement.Strategy, payload: PayloadType) throws -> ([Float], ExchangeTotals) {
        let placement = try Placement(strategy, experts: config.nRoutedExperts, hosts: hosts)
        let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: ActivationPayloads(payload))
        defer { cluster.stop() }
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let logits = try model.step([SequenceStep(cache: KVCache(config: config), tokens: prompt)], experts: cluster.experts)
        #expect(cluster.hostFailures.isEmpty)
        return (logits, cluster.experts.totals)
    }

    @Test(arguments: [1, 2, 8, 32])
    func float32ExchangeMatchesOneProcess(hosts: Int) throws {
        let source = SyntheticWeights(config: config, seed: 11)
        let reference = try singleProcessLogits(source)
        for strategy in [Placement.Strategy.contiguous, .roundRobin] {
            let (logits, totals) = try clusterLogits(source, hosts: hosts, strategy: strategy, payload: .f32)
            let largest = reference.map(abs).max()!
            let worst = zip(logits, reference).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5 * largest, "\(hosts) hosts, \(strategy): max |Δ| \(worst) of \(largest)")
            #expect(totals.tokens.allSatisfy { $0 == prompt.count })
            #expect(totals.dispatchMessages.allSatisfy { (1...hosts).contains($0) })
        }
    }

    @Test func bfloat16PayloadsStayClose() throws {
        let source = SyntheticWeights(config: config, seed: 11)
        let reference = try singleProcessLogits(source)
        let (logits, _) = try clusterLogits(source, hosts: 8, strategy: .contiguous, payload: .bf16)
        let largest = reference.map(abs).max()!
        let worst = zip(logits, reference).map { abs($0 - $1) }.max()!
        // Activations rounded to 8 bits of mantissa on the wire, both ways.
        #expect(worst <= 2e-2 * largest, "max |Δ| \(worst) of \(largest)")
        #expect(worst > 0, "bf16 payloads should round something")
    }

    /// FP8 dispatch and bf16 combine: each direction in its own type on the wire (the ledger's
    /// bytes say so), hosts answer in the combine type, and the model stays near the f32 wire.
    @Test func fp8DispatchWithBF16Combine() throws {
        let source = SyntheticWeights(config: config, seed: 11)
        let split = ActivationPayloads(dispatch: .fp8, combine: .bf16)
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 4)
        let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: split)
        defer { cluster.stop() }
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        _ = try model.step([SequenceStep(cache: KVCache(config: config), tokens: prompt)], experts: cluster.experts)
        let records = cluster.experts.traffic.ledger.records
        #expect(!records.isEmpty)
        for record in records {
            let type: PayloadType = record.kind == .dispatch ? .fp8 : .bf16
            #expect(Int(record.payloadBytes) == type.payloadBytes(rows: Int(record.tokens), width: config.hiddenSize), "\(record.kind)")
        }
        #expect(cluster.experts.traffic.context.payload == split)

        // Measured (tiny, seed 11, 4 prompts × 8 positions): mean relative error 2.5e-2, every greedy token kept.
        var random = SplitMix64(seed: 9)
        let prompts = (0..<4).map { _ in (0..<12).map { _ in Int(random.next() % UInt64(config.vocabSize)) } }
        let figures = try PayloadAccuracy.measure(config: config, source: source, payloads: [.bf16, split], prompts: prompts, newTokens: 8, hosts: 4)
        #expect(figures[0].maxRelativeError < 2e-2 && figures[0].agreement == 1, "bf16: \(figures[0])")
        #expect(figures[1].meanRelativeError < 6e-2 && figures[1].agreement >= 0.9, "fp8/bf16: \(figures[1])")
        #expect(figures[1].meanRelativeError > figures[0].meanRelativeError, "fp8 rounds more than bf16")
    }

    @Test func aHostHoldingOtherWeightsIsRefused() throws {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 2)
        let coordinatorWeights = SyntheticWeights(config: config, seed: 1)
        #expect {
            _ = try InProcessCluster(config: config, placement: placement, source: coordinatorWeights, payload: .f32,
                                     hostSources: { $0 == 1 ? SyntheticWeights(config: config, seed: 2) : coordinatorWeights },
                                     handshakeTimeout: .seconds(10))
        } throws: { error in
            let text = "\(error)"
            return text.contains("expert host 1") && text.contains("weights fingerprint differs")
        }
    }

    @Test func greedyGenerationThroughTheClusterMatches() throws {
        let source = SyntheticWeights(config: config, seed: 5)
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let local = LocalExperts(weights: try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts)),
                                 hiddenSize: config.hiddenSize)
        let expected = try Generator(model: model, experts: local).generate(prompt: prompt, count: 8).generated
        let placement = try Placement(.roundRobin, experts: config.nRoutedExperts, hosts: 8)
        let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: .f32)
        defer { cluster.stop() }
        let generated = try Generator(model: model, experts: cluster.experts).generate(prompt: prompt, count: 8).generated
        #expect(generated == expected)
    }
}
