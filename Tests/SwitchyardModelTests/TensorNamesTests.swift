import Foundation
import Synchronization
import Testing
@testable import SwitchyardModel
import SwitchyardModelConfig

/// `TensorNames` is the one table of tensor names: the model's loader asks its weight source for
/// exactly the tensors `CheckpointLayout` lists (which `CheckpointFixtureTests` holds against
/// what transformers saved), whatever the configuration's variant.
@Suite struct TensorNamesTests {
    /// Synthetic weights that note every tensor asked for.
    final class RecordingSource: WeightSource, @unchecked Sendable {
        let inner: SyntheticWeights
        let asked = Mutex<[String]>([])
        init(_ inner: SyntheticWeights) { self.inner = inner }
        var fingerprint: String { inner.fingerprint }
        func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            asked.withLock { $0.append(name) }
            return try inner.matrix(name, rows: rows, cols: cols)
        }
        func vector(_ name: String, count: Int) throws -> [Float] {
            asked.withLock { $0.append(name) }
            return try inner.vector(name, count: count)
        }
        func expert(layer: Int, expert: Int) throws -> ExpertWeights {
            try ExpertWeights.load(from: self, named: { TensorNames.expert(layer, expert, $0) },
                                   hidden: inner.config.hiddenSize, intermediate: inner.config.moeIntermediateSize)
        }
    }

    static var variants: [ModelConfig] {
        let tiny = ModelPreset.tiny.config
        var dense = tiny
        dense.qLoraRank = nil
        dense.firstKDenseReplace = 1
        dense.tieWordEmbeddings = true
        var unshared = tiny
        unshared.nSharedExperts = 0
        return [tiny, dense, unshared]
    }

    @Test(arguments: variants)
    func loaderReadsExactlyTheLayoutsTensors(config: ModelConfig) throws {
        let source = RecordingSource(SyntheticWeights(config: config, seed: 3))
        _ = try Mistral4Weights(config: config, source: source)
        _ = try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts))
        let asked = source.asked.withLock { $0 }
        let listed = CheckpointLayout(config: config, expertLayout: .perExpert).tensors.map(\.name)
        #expect(Set(asked) == Set(listed))
        #expect(asked.count == listed.count, "each tensor is read once")
    }

    @Test func namesAreTransformersSpelling() {
        #expect(TensorNames.attention(2, .kvAProjWithMqa) == "model.layers.2.self_attn.kv_a_proj_with_mqa.weight")
        #expect(TensorNames.sharedExpert(0, .down) == "model.layers.0.mlp.shared_experts.down_proj.weight")
        #expect(TensorNames.denseMLP(0, .gate) == "model.layers.0.mlp.gate_proj.weight")
        #expect(TensorNames.expert(1, 7, .up) == "model.layers.1.mlp.experts.7.up_proj.weight")
        #expect(TensorNames.fp8Scale(of: TensorNames.router(3)) == "model.layers.3.mlp.gate.weight_scale_inv")
    }
}
