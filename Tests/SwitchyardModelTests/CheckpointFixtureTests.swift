import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardCore

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../Fixtures/mistral4-parity").standardized

/// The checkpoints transformers itself wrote (Tests/Fixtures/mistral4-parity), read tensor by tensor.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: fixtures.path), "the transformers fixture is not checked out"))
struct CheckpointFixtureTests {
    func open(_ name: String) throws -> CheckpointDirectory {
        try CheckpointDirectory(fixtures.appendingPathComponent(name))
    }

    /// Our layout names exactly the tensors transformers saved, with the same shapes.
    @Test(arguments: [("fused-f32", ExpertLayout.fused), ("per-expert-f32", .perExpert), ("fused-bf16", .fused)])
    func layoutMatchesWhatTransformersSaved(checkpoint: String, layout: ExpertLayout) throws {
        let source = try open(checkpoint)
        let expected = CheckpointLayout(config: source.config, expertLayout: layout).tensors
        #expect(try source.tensorNames() == expected.map(\.name).sorted())
        for tensor in expected {
            #expect(try source.file(holding: tensor.name).info(tensor.name).shape == tensor.shape, "\(tensor.name)")
        }
    }

    @Test func fusedAndPerExpertLayoutsHoldTheSameExperts() throws {
        let fused = try open("fused-f32"), perExpert = try open("per-expert-f32")
        #expect(perExpert.shardFiles.count == 2)
        let config = fused.config
        for layer in config.firstKDenseReplace..<config.numHiddenLayers {
            for e in 0..<config.nRoutedExperts {
                let a = try fused.expert(layer: layer, expert: e), b = try perExpert.expert(layer: layer, expert: e)
                #expect(identical(a.gateProj, b.gateProj) && identical(a.upProj, b.upProj) && identical(a.downProj, b.downProj), "expert \(e)")
            }
        }
        #expect(fused.fingerprint != perExpert.fingerprint)
    }

    @Test func bf16CheckpointIsTheRoundedFloat32One() throws {
        let f32 = try open("fused-f32"), bf16 = try open("fused-bf16")
        let config = f32.config
        for tensor in CheckpointLayout(config: config, expertLayout: .fused).tensors where tensor.content == .matrix {
            let (rows, cols) = (tensor.shape[0], tensor.shape[1])
            let rounded = try f32.matrix(tensor.name, rows: rows, cols: cols).floats.map(BFloat16.bits)
            #expect(try bf16.matrix(tensor.name, rows: rows, cols: cols).storage.bf16Bits == rounded, "\(tensor.name)")
        }
        let layer = config.numHiddenLayers - 1
        let rounded = try f32.expert(layer: layer, expert: 3).upProj.floats.map(BFloat16.bits)
        #expect(try bf16.expert(layer: layer, expert: 3).upProj.storage.bf16Bits == rounded)
    }

    /// Rewriting transformers' float32 checkpoint gives its per-expert and bf16 checkpoints, tensor for tensor.
    @Test(arguments: [("per-expert-f32", WeightDType.f32, ExpertLayout.perExpert), ("fused-bf16", .bf16, .fused)])
    func writerReproducesTheOtherFixtures(target: String, dtype: WeightDType, layout: ExpertLayout) throws {
        let source = try open("fused-f32"), expected = try open(target)
        let dir = try TemporaryDirectory()
        try CheckpointWriter.write(source, config: source.config, dtype: dtype, expertLayout: layout, to: dir.url, shardBytes: 400_000)
        let written = try CheckpointDirectory(dir.url)
        #expect(written.config == expected.config)
        for name in try expected.tensorNames() {
            let a = try written.file(holding: name), b = try expected.file(holding: name)
            let info = try b.info(name)
            #expect(try a.info(name).shape == info.shape && a.info(name).dtype == info.dtype)
            let bytesA = try a.withBytes(name) { bytes, _ in Array(bytes) }, bytesB = try b.withBytes(name) { bytes, _ in Array(bytes) }
            #expect(bytesA == bytesB, "\(name)")
        }
    }

    @Test func someExpertsReadOnlyTheirShareOfTheFusedBytes() throws {
        let source = try open("fused-f32")
        let config = source.config
        let layer = config.numHiddenLayers - 1
        for e in 0..<config.nRoutedExperts / 4 { _ = try source.expert(layer: layer, expert: e) }
        let gateUp = TensorNames.fusedGateUp(layer)
        let total = try source.file(holding: gateUp).info(gateUp).dataOffsets.count
        #expect(source.bytesRead(tensor: gateUp) * 4 == total)
    }
}
