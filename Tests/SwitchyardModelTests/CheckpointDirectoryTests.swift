import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardCore
import SwitchyardModelConfig

/// Bit-for-bit equality of two matrices, storage kind included.
func identical(_ a: WeightMatrix, _ b: WeightMatrix) -> Bool {
    guard a.rows == b.rows, a.cols == b.cols else { return false }
    switch (a.storage, b.storage) {
    case let (.f32(x), .f32(y)): return x.array.map(\.bitPattern) == y.array.map(\.bitPattern)
    case let (.bf16(x), .bf16(y)): return x == y
    case let (.fp8(x), .fp8(y)): return x.codes == y.codes && x.scaleInv.map(\.bitPattern) == y.scaleInv.map(\.bitPattern) && x.rowPhase == y.rowPhase
    default: return false
    }
}

@Suite struct CheckpointDirectoryTests {
    let tiny = ModelPreset.tiny.config

    @Test(arguments: [
        (WeightDType.f32, ExpertLayout.fused, Int?.none), (.f32, .perExpert, 1 << 20),
        (.bf16, .fused, 1 << 20), (.bf16, .perExpert, nil), (.fp8, .fused, nil), (.fp8, .fused, 1 << 20),
    ])
    func synthesisedCheckpointsReadBackAsTheSyntheticWeights(dtype: WeightDType, layout: ExpertLayout, shardBytes: Int?) throws {
        let dir = try TemporaryDirectory()
        let synthetic = SyntheticWeights(config: tiny, seed: 11, dtype: dtype)
        let summary = try CheckpointWriter.write(synthetic, config: tiny, dtype: dtype, expertLayout: layout, to: dir.url, shardBytes: shardBytes)
        #expect(summary.files.contains(CheckpointDirectory.indexFile) == (shardBytes != nil))
        let checkpoint = try CheckpointDirectory(dir.url)
        #expect(checkpoint.config == tiny)
        #expect(checkpoint.shardFiles.count == (shardBytes == nil ? 1 : summary.files.count - 2))
        let layoutTensors = CheckpointLayout(config: tiny, expertLayout: layout).tensors
        // FP8 checkpoints add a `_scale_inv` tensor after each quantised one.
        let written = CheckpointWriter.plan(CheckpointLayout(config: tiny, expertLayout: layout), dtype: dtype).map(\.entry.name)
        #expect(written.count == layoutTensors.count + (dtype == .fp8 ? written.filter { $0.hasSuffix("_scale_inv") }.count : 0))
        #expect(try checkpoint.tensorNames() == written.sorted())
        for tensor in layoutTensors {
            switch tensor.content {
            case .vector:
                #expect(try checkpoint.vector(tensor.name, count: tensor.shape[0]) == synthetic.vector(tensor.name, count: tensor.shape[0]), "\(tensor.name)")
            case .matrix:
                let (rows, cols) = (tensor.shape[0], tensor.shape[1])
                #expect(identical(try checkpoint.matrix(tensor.name, rows: rows, cols: cols), try synthetic.matrix(tensor.name, rows: rows, cols: cols)), "\(tensor.name)")
            case .fusedGateUp, .fusedDown, .expertProjection:
                break
            }
        }
        for layer in 0..<tiny.numHiddenLayers {
            for e in 0..<tiny.nRoutedExperts {
                let read = try checkpoint.expert(layer: layer, expert: e), made = try synthetic.expert(layer: layer, expert: e)
                #expect(identical(read.gateProj, made.gateProj) && identical(read.upProj, made.upProj) && identical(read.downProj, made.downProj),
                        "layer \(layer) expert \(e)")
            }
        }
        // BF16 weights are the bf16 rounding of the float32 ones with the same seed.
        if dtype == .bf16 {
            let f32 = SyntheticWeights(config: tiny, seed: 11, dtype: .f32)
            let rounded = try f32.matrix(TensorNames.embedTokens, rows: tiny.vocabSize, cols: tiny.hiddenSize).floats.map(BFloat16.bits)
            #expect(try checkpoint.matrix(TensorNames.embedTokens, rows: tiny.vocabSize, cols: tiny.hiddenSize).storage.bf16Bits == rounded)
        }
        #expect(try CheckpointDirectory(dir.url).fingerprint == checkpoint.fingerprint)
        #expect(checkpoint.fingerprint.hasPrefix("checkpoint:fnv1a64="))
    }

    @Test func fingerprintsDifferWithTheWeightsHeadersOrConfig() throws {
        let a = try TemporaryDirectory(), b = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 1), config: tiny, dtype: .f32, expertLayout: .fused, to: a.url)
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 1, dtype: .bf16), config: tiny, dtype: .bf16, expertLayout: .fused, to: b.url)
        #expect(try CheckpointDirectory(a.url).fingerprint != CheckpointDirectory(b.url).fingerprint)
    }

    /// A host that owns 16 of the 128 experts copies exactly 16/128 of the expert bytes, and nothing else.
    @Test(arguments: ExpertLayout.allCases)
    func loadingSomeExpertsReadsOnlyTheirBytes(layout: ExpertLayout) throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 2), config: tiny, dtype: .f32, expertLayout: layout, to: dir.url)
        let checkpoint = try CheckpointDirectory(dir.url)
        let owned = 32..<48
        for layer in 0..<tiny.numHiddenLayers { for e in owned { _ = try checkpoint.expert(layer: layer, expert: e) } }
        let expertBytesPerLayer = tiny.nRoutedExperts * 3 * tiny.moeIntermediateSize * tiny.hiddenSize * 4
        #expect(checkpoint.totalBytesRead == tiny.numHiddenLayers * expertBytesPerLayer * owned.count / tiny.nRoutedExperts)
        if layout == .fused {
            let gateUpBytes = tiny.nRoutedExperts * 2 * tiny.moeIntermediateSize * tiny.hiddenSize * 4
            #expect(checkpoint.bytesRead(tensor: TensorNames.fusedGateUp(1)) == gateUpBytes * 16 / 128)
        } else {
            #expect(checkpoint.bytesRead(tensor: TensorNames.expert(0, 31, .gate)) == 0)
            #expect(checkpoint.bytesRead(tensor: TensorNames.expert(0, 32, .gate)) == tiny.moeIntermediateSize * tiny.hiddenSize * 4)
        }
        #expect(checkpoint.bytesRead(tensor: TensorNames.embedTokens) == 0)
    }

    @Test func shardsOpenOnFirstUseOnly() throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 3), config: tiny, dtype: .f32, expertLayout: .fused, to: dir.url, shardBytes: 1 << 20)
        let checkpoint = try CheckpointDirectory(dir.url)
        #expect(checkpoint.shardFiles.count > 3)
        #expect(checkpoint.openedShardCount == 0)
        _ = try checkpoint.vector(TensorNames.finalNorm, count: tiny.hiddenSize)
        _ = try checkpoint.vector(TensorNames.finalNorm, count: tiny.hiddenSize)
        #expect(checkpoint.openedShardCount == 1)
    }

    @Test func concurrentReadersShareOneOpeningAndCountEveryByte() throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 8, dtype: .bf16), config: tiny, dtype: .bf16, expertLayout: .fused,
                                   to: dir.url, shardBytes: 1 << 20)
        let checkpoint = try CheckpointDirectory(dir.url)
        let reference = SyntheticWeights(config: tiny, seed: 8, dtype: .bf16)
        DispatchQueue.concurrentPerform(iterations: 64) { e in
            let read = try? checkpoint.expert(layer: 1, expert: e)
            let made = try? reference.expert(layer: 1, expert: e)
            #expect(read.flatMap { r in made.map { identical(r.upProj, $0.upProj) } } == true, "expert \(e)")
        }
        let perExpert = 3 * tiny.moeIntermediateSize * tiny.hiddenSize * 2
        #expect(checkpoint.totalBytesRead == 64 * perExpert)
        #expect(checkpoint.openedShardCount <= 2)
    }

    // MARK: Bad input: one line naming the file and the tensor

    @Test func missingTensorAndWrongShapeNameTheFileAndTensor() throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 4), config: tiny, dtype: .f32, expertLayout: .fused, to: dir.url)
        let checkpoint = try CheckpointDirectory(dir.url)
        let file = dir.path("model.safetensors")
        let missing = try #require(throws: CheckpointError.self) { try checkpoint.matrix("model.layers.0.self_attn.q_proj.weight", rows: 96, cols: 64) }
        #expect(missing.description == "\(file): tensor 'model.layers.0.self_attn.q_proj.weight': is not in the checkpoint")
        let shape = try #require(throws: CheckpointError.self) { try checkpoint.matrix(TensorNames.embedTokens, rows: 500, cols: 64) }
        #expect(shape.description == "\(file): tensor 'model.embed_tokens.weight': has shape [512, 64], expected [500, 64]")
        let vector = try #require(throws: CheckpointError.self) { try checkpoint.vector(TensorNames.embedTokens, count: 64) }
        #expect(vector.description == "\(file): tensor 'model.embed_tokens.weight': has shape [512, 64], expected [64]")
        #expect(throws: CheckpointError.self) { try checkpoint.expert(layer: 0, expert: 128) }
        #expect(throws: CheckpointError.self) { try checkpoint.expert(layer: 2, expert: 0) }
    }

    @Test func shardedMissingTensorNamesTheIndex() throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 4), config: tiny, dtype: .f32, expertLayout: .fused, to: dir.url, shardBytes: 1 << 20)
        let error = try #require(throws: CheckpointError.self) { try CheckpointDirectory(dir.url).vector("model.norm.bias", count: 64) }
        #expect(error.description == "\(dir.path(CheckpointDirectory.indexFile)): tensor 'model.norm.bias': is not in the checkpoint's weight_map")
    }

    @Test func indexNamingAMissingShardIsRefused() throws {
        let dir = try TemporaryDirectory()
        let summary = try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 5), config: tiny, dtype: .f32, expertLayout: .fused, to: dir.url, shardBytes: 1 << 20)
        let shard = try #require(summary.files.first { $0.hasPrefix("model-00002-of-") })
        try FileManager.default.removeItem(atPath: dir.path(shard))
        let error = try #require(throws: CheckpointError.self) { try CheckpointDirectory(dir.url) }
        #expect(error.description == "\(dir.path(CheckpointDirectory.indexFile)): names shard '\(shard)', which is not in \(dir.url.path)")
    }

    @Test func missingConfigOrWeightsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let noConfig = try #require(throws: CheckpointError.self) { try CheckpointDirectory(dir.url) }
        #expect(noConfig.description == "\(dir.path("config.json")): is missing or unreadable; a checkpoint directory needs config.json")
        try CheckpointWriter.configJSON(tiny, dtype: .f32).write(to: dir.url.appendingPathComponent("config.json"))
        let noWeights = try #require(throws: CheckpointError.self) { try CheckpointDirectory(dir.url) }
        #expect(noWeights.description == "\(dir.url.path): holds neither model.safetensors nor model.safetensors.index.json")
        try dir.write("config.json", #"{"model_type": "mistral4"}"#)
        let badConfig = try #require(throws: CheckpointError.self) { try CheckpointDirectory(dir.url) }
        #expect(badConfig.description == "\(dir.path("config.json")): vocab_size: is missing")
    }

    @Test func truncatedShardIsReportedWhenFirstRead() throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(SyntheticWeights(config: tiny, seed: 6), config: tiny, dtype: .f32, expertLayout: .fused, to: dir.url)
        let path = dir.path("model.safetensors")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 100_000)
        try handle.close()
        let checkpoint = try CheckpointDirectory(dir.url)
        let error = try #require(throws: CheckpointError.self) { try checkpoint.vector(TensorNames.finalNorm, count: tiny.hiddenSize) }
        #expect(error.description.hasPrefix("\(path): tensor '"))
        #expect(error.description.hasSuffix("(file truncated?)"))
    }

    /// An FP8 matrix whose sides are not multiples of 128: each 128×128 block has its own scale_inv.
    @Test func blockScaledFP8IsDequantised() throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.configJSON(tiny, dtype: .f32).write(to: dir.url.appendingPathComponent("config.json"))
        let (rows, cols) = (130, 200)
        let bits = (0..<rows * cols).map { UInt8(($0 * 7 + $0 / cols) % 0x7E | ($0 % 3 == 0 ? 0x80 : 0)) }
        let scales: [Float] = [0.5, 2, 4, 0.25]
        let writer = try SafetensorsWriter(path: dir.path("model.safetensors"), entries: [
            .init(name: "w.weight", dtype: .f8E4M3, shape: [rows, cols]),
            .init(name: "w.weight_scale_inv", dtype: .f32, shape: [2, 2]),
            .init(name: "bad.weight", dtype: .f8E4M3, shape: [2, 2]),
            .init(name: "bad.weight_scale_inv", dtype: .f32, shape: [2]),
        ])
        try bits.withUnsafeBytes { try writer.append($0) }
        try writer.append(scales, as: .f32)
        try [UInt8](repeating: 0x38, count: 4).withUnsafeBytes { try writer.append($0) }
        try writer.append([1, 1], as: .f32)
        try writer.finish()
        let checkpoint = try CheckpointDirectory(dir.url)
        let matrix = try checkpoint.matrix("w.weight", rows: rows, cols: cols)
        let values = matrix.floats
        for r in [0, 1, 127, 128, 129] {
            for c in [0, 5, 127, 128, 199] {
                let i = r * cols + c
                let scale = scales[(r / 128) * 2 + c / 128]
                #expect(values[i] == FloatFormats.float(e4m3: bits[i]) * scale, "[\(r), \(c)]")
            }
        }
        #expect(values[1 * cols + 1] == FloatFormats.float(e4m3: bits[cols + 1]) * 0.5)
        let error = try #require(throws: CheckpointError.self) { try checkpoint.matrix("bad.weight", rows: 2, cols: 2) }
        #expect(error.description == "\(dir.path("model.safetensors")): tensor 'bad.weight_scale_inv': has shape [2], expected [1, 1]")
    }

    @Test func f16IsWidenedToFloat32() throws {
        let dir = try TemporaryDirectory()
        try CheckpointWriter.configJSON(tiny, dtype: .f32).write(to: dir.url.appendingPathComponent("config.json"))
        let header = #"{"h.weight": {"dtype": "F16", "shape": [1, 3], "data_offsets": [0, 6]}}"#
        try dir.safetensors("model.safetensors", header: header, data: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00])
        let matrix = try CheckpointDirectory(dir.url).matrix("h.weight", rows: 1, cols: 3)
        #expect(matrix.storage.f32Values == [1, -2, 0x1p-24])
    }
}

extension WeightStorage {
    var bf16Bits: [UInt16]? { if case let .bf16(bits) = self { bits.array } else { nil } }
    var fp8Blocks: FP8BlockScaled? { if case let .fp8(blocks) = self { blocks } else { nil } }
    var f32Values: [Float]? { if case let .f32(values) = self { values.array } else { nil } }
}
