import Foundation
import Testing
import SwitchyardTestSupport

@Suite struct ModelCommandTests {
    let switchyard = TestProducts.executable("switchyard")
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/mistral4-parity").standardized.path

    func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)").path
    }

    @Test func forwardWritesLogitsOfShapeTokensByVocab() throws {
        let output = temporaryFile("logits.npy")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try Subprocess.run(switchyard, ["forward", "--checkpoint", fixture + "/fused-f32", "--tokens", "1,2,3", "--output", output])
        #expect(result.status == 0, "\(result.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect(data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
        let header = String(decoding: data.prefix(128), as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (3, 256)"))
        #expect(data.count % 64 == (3 * 256 * 4) % 64)
    }

    @Test func generateJSONHasPromptGeneratedAndTimings() throws {
        let result = try Subprocess.run(switchyard, ["generate", "--checkpoint", fixture + "/fused-f32", "--tokens", "135,19,137,217,105,110,138,42,169,193,128,54,177,141,100,18,223,138,183,150,229,208,180,78,102,7,20,245,58,132,22,230", "--max-new-tokens", "4", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        // transformers' greedy continuation of this prompt starts 164, 177, 187, 233.
        #expect(object["generated"] as? [Int] == [164, 177, 187, 233])
        #expect((object["prompt"] as? [Int])?.count == 32)
        #expect((object["timings"] as? [String: Any])?["decode_tokens_per_second"] != nil)
    }

    @Test func tokenOutsideTheVocabularyExitsTwoNamingIt() throws {
        let result = try Subprocess.run(switchyard, ["generate", "--model", "tiny", "--tokens", "1,999999", "--max-new-tokens", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("token 999999 is outside the vocabulary"))
        let malformed = try Subprocess.run(switchyard, ["forward", "--model", "tiny", "--tokens", "1,x", "--output", "/dev/null"])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("--tokens"))
    }

    @Test func missingCheckpointExitsTwoNamingTheFile() throws {
        let result = try Subprocess.run(switchyard, ["generate", "--checkpoint", "/nonexistent/ckpt", "--tokens", "1", "--max-new-tokens", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/ckpt"))
    }

    @Test func modelInfoCountsMistralSmall4() throws {
        let result = try Subprocess.run(switchyard, ["model", "info", "mistral-small-4", "--json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let total = object["total"] as! Int, active = object["active"] as! Int
        #expect(abs(Double(total) / 119e9 - 1) < 0.01 && abs(Double(active) / 6.6e9 - 1) < 0.01)
        #expect(object["kv_cache_bytes_per_token_bf16"] as? Int == 23040)
    }
}
