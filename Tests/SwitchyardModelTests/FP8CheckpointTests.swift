import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardCore
import SwitchyardModelConfig

/// FP8 checkpoints: weights stay 8-bit and in the mapped file; fused experts sliced mid-block read
/// the right scales; a host's resident bytes are its experts' bytes in the file.
@Suite struct FP8CheckpointTests {
    /// tiny with an expert width of `intermediate` (192 starts the up projection mid-block).
    func config(intermediate: Int) -> ModelConfig {
        var c = ModelPreset.tiny.config
        c.moeIntermediateSize = intermediate
        return c
    }

    func write(_ c: ModelConfig, layout: ExpertLayout, dtype: WeightDType = .fp8, seed: UInt64 = 3) throws -> (TemporaryDirectory, CheckpointDirectory) {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: c, seed: seed, dtype: dtype), config: c, dtype: dtype, expertLayout: layout, to: dir.url)
        return (dir, try CheckpointDirectory(dir.url))
    }

    /// Expert `e`'s up projection dequantised straight from the file's bytes: codes of rows I..<2I of
    /// the fused tensor, each times the scale of its block in the fused grid.
    @Test func fusedExpertsStartingMidBlockReadTheirOwnScales() throws {
        let c = config(intermediate: 192)
        let (dir, checkpoint) = try write(c, layout: .fused)
        let (i, h, layer, e) = (c.moeIntermediateSize, c.hiddenSize, 1, 5)
        let file = try SafetensorsFile(path: dir.path(CheckpointDirectory.singleFile))
        let name = TensorNames.fusedGateUp(layer)
        #expect(try file.info(name).dtype == .f8E4M3)
        #expect(try file.info(name + "_scale_inv").shape == [c.nRoutedExperts, 3, 1])
        let codes = try file.withBytes(name) { bytes, _ in Array(bytes) }
        let scales = try file.floats(name + "_scale_inv")
        let expert = try checkpoint.expert(layer: layer, expert: e)
        let up = expert.upProj.floats, gate = expert.gateProj.floats
        for r in 0..<i {
            for col in 0..<h {
                let fusedRow = i + r, code = codes[(e * 2 * i + fusedRow) * h + col]
                #expect(up[r * h + col] == FloatFormats.float(e4m3: code) * scales[e * 3 + fusedRow / 128], "up [\(r), \(col)]")
                let gateCode = codes[(e * 2 * i + r) * h + col]
                #expect(gate[r * h + col] == FloatFormats.float(e4m3: gateCode) * scales[e * 3 + r / 128], "gate [\(r), \(col)]")
            }
        }
        #expect(expert.upProj.storage.fp8Blocks?.rowPhase == 64)
        // And the product the kernels compute agrees with those values (double reference).
        let x = (0..<(3 * h)).map { Float(($0 * 37) % 17) / 17 - 0.5 }
        let y = expert.upProj.apply(x, tokens: 3)
        for t in 0..<3 {
            for r in 0..<i {
                let want = (0..<h).reduce(0.0) { $0 + Double(up[r * h + $1]) * Double(x[t * h + $1]) }
                #expect(abs(Double(y[t * i + r]) - want) < 1e-5 * Double(h).squareRoot(), "[\(t), \(r)]")
            }
        }
    }

    /// Synthetic FP8 experts are the block quantisation of the float32 ones: within e4m3's rounding.
    @Test func syntheticFP8IsTheQuantisedFloat32() throws {
        let c = config(intermediate: 192)
        let f32 = try SyntheticWeights(config: c, seed: 8).expert(layer: 1, expert: 9)
        let fp8 = try SyntheticWeights(config: c, seed: 8, dtype: .fp8).expert(layer: 1, expert: 9)
        for (a, b) in [(f32.gateProj, fp8.gateProj), (f32.upProj, fp8.upProj), (f32.downProj, fp8.downProj)] {
            let largest = a.floats.map(abs).max() ?? 0
            for (v, q) in zip(a.floats, b.floats) {
                // 3 mantissa bits: half an ulp is 2⁻⁴ relative; below 2⁻⁶·scale, 2⁻¹⁰·scale absolute.
                #expect(abs(v - q) <= max(abs(v) / 16, largest / 448 / 1024) * 1.0001)
            }
        }
    }

    @Test(arguments: [WeightDType.f32, .bf16, .fp8])
    func weightsAreUsedInPlace(dtype: WeightDType) throws {
        let c = config(intermediate: 128)
        var (dir, checkpoint): (TemporaryDirectory?, CheckpointDirectory?) = try write(c, layout: .fused, dtype: dtype)
        let expert = try #require(checkpoint).expert(layer: 1, expert: 7)
        let attention = try #require(checkpoint).matrix(TensorNames.attention(0, .oProj), rows: c.hiddenSize, cols: c.numAttentionHeads * c.vHeadDim)
        for matrix in [expert.gateProj, expert.upProj, expert.downProj, attention] {
            switch matrix.storage {
            case let .bf16(bits): #expect(bits.isMapped && dtype == .bf16)
            case let .fp8(blocks): #expect(blocks.codes.isMapped && dtype == .fp8)
            case let .f32(values): #expect(values.isMapped && dtype == .f32, "\(dtype) weights were widened to float32, or copied")
            }
        }
        let before = expert.downProj.apply([Float](repeating: 0.25, count: 2 * c.moeIntermediateSize), tokens: 2)
        // The matrices keep the mapping alive after the checkpoint is gone.
        checkpoint = nil
        dir = nil
        #expect(expert.downProj.apply([Float](repeating: 0.25, count: 2 * c.moeIntermediateSize), tokens: 2) == before)
        _ = (dir, checkpoint)
    }

    /// A host's resident bytes for its FP8 experts are those experts' bytes in the file: codes and scales.
    @Test(arguments: [ExpertLayout.fused, .perExpert])
    func residentBytesOfFP8ExpertsAreTheirBytesInTheFile(layout: ExpertLayout) throws {
        let c = config(intermediate: 128)
        let (dir, checkpoint) = try write(c, layout: layout)
        let owned = [0, 17, 64, 127]
        let slice = try RoutedExpertWeights(config: c, source: checkpoint, owned: owned)
        let file = try SafetensorsFile(path: dir.path(CheckpointDirectory.singleFile))
        var fileBytes = 0
        for layer in 0..<c.numHiddenLayers where c.isMoELayer(layer) {
            for e in owned {
                switch layout {
                case .perExpert:
                    for projection in TensorNames.Projection.allCases {
                        let name = TensorNames.expert(layer, e, projection)
                        for tensor in [name, name + "_scale_inv"] {
                            let info = try file.info(tensor)
                            fileBytes += info.dataOffsets.count
                        }
                    }
                case .fused:
                    // Expert e's share of each fused tensor: 1/E of its codes and of its scales.
                    for name in [TensorNames.fusedGateUp(layer), TensorNames.fusedDown(layer)] {
                        for tensor in [name, name + "_scale_inv"] {
                            let info = try file.info(tensor)
                            #expect(info.dataOffsets.count % c.nRoutedExperts == 0)
                            fileBytes += info.dataOffsets.count / c.nRoutedExperts
                        }
                    }
                }
            }
        }
        #expect(slice.residentBytes == fileBytes)
        let perExpert = 3 * c.moeIntermediateSize * c.hiddenSize + 3 * 4
        #expect(fileBytes == perExpert * owned.count * c.moeLayerCount)
    }

    @Test func perExpertFP8NeedsExpertsOnWholeBlocks() throws {
        let c = config(intermediate: 192)
        let dir = try TemporaryDirectory()
        let error = try #require(throws: CheckpointError.self) {
            try CheckpointWriter.write(SyntheticWeights(config: c, seed: 1, dtype: .fp8), config: c, dtype: .fp8, expertLayout: .perExpert, to: dir.url)
        }
        #expect(error.description.contains("up_proj starts mid-block"))
        #expect(error.description.contains("fused layout"))
    }

    /// tiny's experts (I = 32) lie inside one block row, so their up projections have grids of their own.
    @Test func perExpertFP8OfNarrowExpertsHoldsTheSameValues() throws {
        let c = ModelPreset.tiny.config
        let (dir, checkpoint) = try write(c, layout: .perExpert)
        defer { withExtendedLifetime(dir) {} }
        let synthetic = SyntheticWeights(config: c, seed: 3, dtype: .fp8)
        for e in [0, 77] {
            let read = try checkpoint.expert(layer: 1, expert: e), made = try synthetic.expert(layer: 1, expert: e)
            #expect(read.upProj.storage.fp8Blocks?.rowPhase == 0 && made.upProj.storage.fp8Blocks?.rowPhase == 32)
            for (a, b) in [(read.gateProj, made.gateProj), (read.upProj, made.upProj), (read.downProj, made.downProj)] {
                #expect(a.floats.map(\.bitPattern) == b.floats.map(\.bitPattern), "expert \(e)")
            }
        }
    }

    @Test func configJSONCarriesTheQuantizationConfig() throws {
        let object = try JSONSerialization.jsonObject(with: CheckpointWriter.configJSON(ModelPreset.tiny.config, dtype: .fp8)) as? [String: Any]
        let quantization = try #require(object?["quantization_config"] as? [String: Any])
        #expect(quantization["quant_method"] as? String == "fp8")
        #expect(quantization["weight_block_size"] as? [Int] == [128, 128])
        #expect(object?["torch_dtype"] as? String == "bfloat16")
        let plain = try JSONSerialization.jsonObject(with: CheckpointWriter.configJSON(ModelPreset.tiny.config, dtype: .bf16)) as? [String: Any]
        #expect(plain?["quantization_config"] == nil)
    }
}
