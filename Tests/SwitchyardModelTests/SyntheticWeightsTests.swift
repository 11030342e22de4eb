import Foundation
import Testing
import SwitchyardKernels
@testable import SwitchyardModel
import SwitchyardCore
import SwitchyardModelConfig

@Suite struct SyntheticWeightsTests {
    let tiny = ModelPreset.tiny.config

    @Test func sameSeedSameWeightsWhateverTheOrder() throws {
        let a = SyntheticWeights(config: tiny, seed: 9), b = SyntheticWeights(config: tiny, seed: 9)
        let late = try a.expert(layer: 1, expert: 77)
        _ = try b.expert(layer: 0, expert: 3)
        #expect(identical(late.downProj, try b.expert(layer: 1, expert: 77).downProj))
        let other = SyntheticWeights(config: tiny, seed: 10)
        #expect(!identical(late.downProj, try other.expert(layer: 1, expert: 77).downProj))
        #expect(!identical(late.gateProj, try a.expert(layer: 1, expert: 76).gateProj))
        #expect(a.fingerprint == "synthetic:seed=9:dtype=f32")
        #expect(SyntheticWeights(config: tiny, seed: 9, dtype: .bf16).fingerprint == "synthetic:seed=9:dtype=bf16")
    }

    @Test func matricesHaveStandardDeviationOneOverRootFanIn() throws {
        let weights = SyntheticWeights(config: tiny, seed: 1)
        for (name, rows, cols) in [(TensorNames.embedTokens, 512, 64), (TensorNames.attention(0, .kvBProj), 128, 16),
                                   (TensorNames.expert(0, 5, .down), 64, 32)] {
            let values = try weights.matrix(name, rows: rows, cols: cols).floats
            let mean = values.reduce(0, +) / Float(values.count)
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
            #expect(abs(std * Float(cols).squareRoot() - 1) < 0.05, "\(name): std \(std)")
            #expect(abs(mean) < 0.1 * std)
        }
    }

    @Test func normWeightsStayNearOne() throws {
        let norm = try SyntheticWeights(config: tiny, seed: 1).vector(TensorNames.inputNorm(1), count: 64)
        #expect(norm.allSatisfy { (0.95...1.05).contains($0) })
        #expect(Set(norm).count > 32)
    }

    @Test func bf16WeightsAreTheRoundedFloat32Ones() throws {
        let f32 = SyntheticWeights(config: tiny, seed: 4), bf16 = SyntheticWeights(config: tiny, seed: 4, dtype: .bf16)
        let name = TensorNames.attention(1, .oProj)
        let bits = try #require(try bf16.matrix(name, rows: 64, cols: 64).storage.bf16Bits)
        #expect(bits == (try f32.matrix(name, rows: 64, cols: 64).floats.map(BFloat16.bits)))
        let norm = TensorNames.attention(0, .qALayernorm)
        #expect(try bf16.vector(norm, count: 32) == f32.vector(norm, count: 32).map { BFloat16.float(BFloat16.bits($0)) })
    }

    /// With unit-RMS inputs, softmax routing over the synthetic router spreads tokens over every expert.
    @Test func routerSendsTokensToEveryExpert() throws {
        let weights = SyntheticWeights(config: tiny, seed: 21)
        let (experts, hidden) = (tiny.nRoutedExperts, tiny.hiddenSize)
        for layer in 0..<tiny.numHiddenLayers {
            let router = try weights.matrix(TensorNames.router(layer), rows: experts, cols: hidden).floats
            var hits = [Int](repeating: 0, count: experts)
            var largest: Float = 0
            var rng = SplitMix64(seed: UInt64(layer) + 100)
            for _ in 0..<512 {
                var x = (0..<hidden).map { _ in Float.random(in: -1...1, using: &rng) }
                let rms = (x.map { $0 * $0 }.reduce(0, +) / Float(hidden)).squareRoot()
                x = x.map { $0 / rms }
                let logits = (0..<experts).map { e in (0..<hidden).reduce(Float(0)) { $0 + router[e * hidden + $1] * x[$1] } }
                let top = logits.max()!
                let exps = logits.map { exp($0 - top) }
                largest = max(largest, 1 / exps.reduce(0, +))
                for e in logits.indices.sorted(by: { logits[$0] > logits[$1] }).prefix(tiny.numExpertsPerTok) { hits[e] += 1 }
            }
            #expect(hits.allSatisfy { $0 > 0 }, "layer \(layer): experts without tokens: \(hits.indices.filter { hits[$0] == 0 })")
            #expect(largest < 0.5, "layer \(layer): softmax too peaked, top probability \(largest)")
        }
    }

    @Test func unknownTensorsAndWrongShapesAreErrors() throws {
        let weights = SyntheticWeights(config: tiny, seed: 3)
        let unknown = try #require(throws: CheckpointError.self) { try weights.matrix("model.layers.9.mlp.gate.weight", rows: 128, cols: 64) }
        #expect(unknown.description == "synthetic(seed=3): tensor 'model.layers.9.mlp.gate.weight': is not a tensor of this model")
        let shape = try #require(throws: CheckpointError.self) { try weights.matrix(TensorNames.lmHead, rows: 64, cols: 512) }
        #expect(shape.description == "synthetic(seed=3): tensor 'lm_head.weight': has shape [512, 64], not [64, 512]")
        #expect(throws: CheckpointError.self) { try weights.expert(layer: 0, expert: 128) }
    }

    @Test func layoutNamesEveryTensorOnceWithTransformersShapes() {
        let layout = CheckpointLayout(config: tiny, expertLayout: .fused)
        let shapes = Dictionary(uniqueKeysWithValues: layout.tensors.map { ($0.name, $0.shape) })
        #expect(shapes.count == layout.tensors.count)
        #expect(shapes["model.layers.1.self_attn.q_b_proj.weight"] == [4 * 24, 32])
        #expect(shapes["model.layers.1.self_attn.kv_a_proj_with_mqa.weight"] == [16 + 8, 64])
        #expect(shapes["model.layers.1.self_attn.kv_b_proj.weight"] == [4 * (16 + 16), 16])
        #expect(shapes["model.layers.1.self_attn.o_proj.weight"] == [64, 4 * 16])
        #expect(shapes["model.layers.1.mlp.experts.gate_up_proj"] == [128, 64, 64])
        #expect(shapes["model.layers.1.mlp.experts.down_proj"] == [128, 64, 32])
        #expect(shapes["model.layers.0.mlp.shared_experts.down_proj.weight"] == [64, 32])
        // Parameters in the layout are the model's parameters.
        #expect(layout.tensors.reduce(0) { $0 + $1.elementCount } == ParameterCount(tiny).total)
        // Dense first layers and a plain q_proj when q_lora_rank is null.
        var dense = tiny
        dense.firstKDenseReplace = 1
        dense.qLoraRank = nil
        let names = Set(CheckpointLayout(config: dense, expertLayout: .perExpert).tensors.map(\.name))
        #expect(names.contains("model.layers.0.mlp.up_proj.weight") && !names.contains("model.layers.0.mlp.gate.weight"))
        #expect(names.contains("model.layers.1.mlp.experts.127.down_proj.weight"))
        #expect(names.contains("model.layers.0.self_attn.q_proj.weight") && !names.contains("model.layers.0.self_attn.q_a_proj.weight"))
    }
}
