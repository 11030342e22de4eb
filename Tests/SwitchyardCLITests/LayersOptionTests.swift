import Foundation
import Testing
import SwitchyardTestSupport

/// `--layers N`: a preset's widths with only its first N decoder layers (the real-width runs).
@Suite struct LayersOptionTests {
    let switchyard = TestProducts.executable("switchyard")

    @Test func aShallowerModelRunsAndOutOfRangeIsAUsageError() throws {
        let ok = try Subprocess.run(switchyard, ["generate", "--model", "mini", "--layers", "1", "--tokens", "1,2,3", "--max-new-tokens", "2", "--json", "-"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("\"generated\""), "\(ok.stdout)")
        let deep = try Subprocess.run(switchyard, ["generate", "--model", "tiny", "--layers", "99", "--tokens", "1,2"])
        #expect(deep.status == 2 && deep.stderr.contains("--layers 99") && deep.stderr.contains("tiny has 2 layers"), "\(deep.stderr)")
        let zero = try Subprocess.run(switchyard, ["generate", "--model", "tiny", "--layers", "0", "--tokens", "1,2"])
        #expect(zero.status == 2 && zero.stderr.contains("--layers"), "\(zero.stderr)")
        let checkpoint = try Subprocess.run(switchyard, ["generate", "--checkpoint", "/nonexistent", "--layers", "1", "--tokens", "1,2"])
        #expect(checkpoint.status == 2 && checkpoint.stderr.contains("--layers"), "\(checkpoint.stderr)")
    }
}
