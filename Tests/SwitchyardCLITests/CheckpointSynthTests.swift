import Foundation
import Testing
import SwitchyardModel
import SwitchyardTestSupport
import SwitchyardModelConfig

@Suite struct CheckpointSynthTests {
    let switchyard = TestProducts.executable("switchyard")

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func writesACheckpointThatReadsBackAsTheSyntheticWeights() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try Subprocess.run(switchyard, ["checkpoint", "synth", "--model", "tiny", "--seed", "5", "--dtype", "bf16",
                                                     "--layout", "per-expert", "--shard-mib", "1", "--out", out.path], timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("model.safetensors.index.json"))
        #expect(result.stdout.contains("synthetic:seed=5:dtype=bf16"))
        let checkpoint = try CheckpointDirectory(out)
        let config = ModelPreset.tiny.config
        #expect(checkpoint.config == config)
        let synthetic = SyntheticWeights(config: config, seed: 5, dtype: .bf16)
        for (layer, expert) in [(0, 0), (1, 127)] {
            let read = try checkpoint.expert(layer: layer, expert: expert), made = try synthetic.expert(layer: layer, expert: expert)
            #expect(read.downProj.floats == made.downProj.floats)
        }
        let configJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(configJSON?["architectures"] as? [String] == ["Mistral4ForCausalLM"])
        #expect(configJSON?["torch_dtype"] as? String == "bfloat16")
        #expect(configJSON?["hidden_act"] as? String == "silu")
    }

    /// --layers and --experts keep the widths: the first layers, experts 0..<E, the same numbers.
    @Test func layersAndExpertsShrinkTheModelKeepingItsWidths() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try Subprocess.run(switchyard, ["checkpoint", "synth", "--model", "tiny", "--seed", "5", "--layers", "1", "--experts", "16",
                                                     "--out", out.path], timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let checkpoint = try CheckpointDirectory(out)
        var config = ModelPreset.tiny.config
        config.numHiddenLayers = 1
        config.nRoutedExperts = 16
        #expect(checkpoint.config == config)
        let read = try checkpoint.expert(layer: 0, expert: 15), made = try SyntheticWeights(config: config, seed: 5).expert(layer: 0, expert: 15)
        #expect(read.downProj.floats == made.downProj.floats)

        // tiny routes 4 experts within 4 of its 8 groups: 12 experts do not divide into 8 groups.
        let refused = try Subprocess.run(switchyard, ["checkpoint", "synth", "--model", "tiny", "--experts", "12", "--out", out.path + "-x"],
                                         timeout: .seconds(60))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--experts 12"))
    }

    /// --dtype fp8: Linear weights as F8_E4M3 with F32 block scales, the rest bf16, the quantization
    /// config transformers reads; read back, the experts stay 8-bit.
    @Test func writesFP8WithBlockScales() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try Subprocess.run(switchyard, ["checkpoint", "synth", "--model", "tiny", "--seed", "5", "--dtype", "fp8", "--out", out.path],
                                        timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let file = try SafetensorsFile(path: out.appendingPathComponent(CheckpointDirectory.singleFile).path)
        #expect(try file.info(TensorNames.fusedGateUp(1)).dtype == .f8E4M3)
        #expect(try file.info(TensorNames.fp8Scale(of: TensorNames.fusedGateUp(1))).shape == [128, 1, 1])
        #expect(try file.info(TensorNames.attention(0, .qAProj)).dtype == .f8E4M3)
        #expect(try file.info(TensorNames.fp8Scale(of: TensorNames.attention(0, .qAProj))).dtype == .f32)
        #expect(try file.info(TensorNames.embedTokens).dtype == .bf16)
        #expect(try file.info(TensorNames.router(1)).dtype == .bf16)
        let configJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        let quantization = configJSON?["quantization_config"] as? [String: Any]
        #expect(quantization?["quant_method"] as? String == "fp8" && quantization?["weight_block_size"] as? [Int] == [128, 128])
        let expert = try CheckpointDirectory(out).expert(layer: 1, expert: 3)
        #expect(expert.residentBytes == 3 * 32 * 64 + 3 * 4)
    }

    @Test func badDTypeExitsTwoNamingTheFlag() throws {
        let result = try Subprocess.run(switchyard, ["checkpoint", "synth", "--model", "tiny", "--dtype", "f16", "--out", "/tmp/unused"], timeout: .seconds(30))
        #expect(result.status == 2)
        #expect(result.stderr.contains("--dtype"))
    }

    @Test func unknownModelExitsTwoNamingTheFlag() throws {
        let result = try Subprocess.run(switchyard, ["checkpoint", "synth", "--model", "gigantic", "--out", "/tmp/unused"], timeout: .seconds(30))
        #expect(result.status == 2)
        #expect(result.stderr.contains("--model: \"gigantic\" is neither a preset"))
    }

    @Test func invalidConfigFileExitsTwoNamingTheField() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("config.json")
        try Data(#"{"model_type": "mistral4", "vocab_size": 10}"#.utf8).write(to: config)
        let result = try Subprocess.run(switchyard, ["checkpoint", "synth", "--model", config.path, "--out", dir.appendingPathComponent("out").path], timeout: .seconds(30))
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(config.path): hidden_size: is missing"), "stderr: \(result.stderr)")
    }
}
