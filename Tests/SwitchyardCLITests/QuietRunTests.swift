import Foundation
import Testing
import SwitchyardTestSupport

@Suite struct QuietRunTests {
    let switchyard = TestProducts.executable("switchyard")

    /// --quiet drops the progress lines only: the summary still prints.
    @Test func quietKeepsTheSummary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-quiet-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Subprocess.run(switchyard, ["run", "--model", "tiny", "--transport", "inproc", "--requests", "2", "--prompt-tokens", "4",
                                                     "--new-tokens", "2", "--out", folder.appendingPathComponent("out").path, "--quiet"],
                                        timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stderr)")
        for expected in ["expert hosts over inproc", "tokens/s", "step latency p50", "dispatched per step", "summary: ", "report: "] {
            #expect(result.stdout.contains(expected), "missing \(expected) in\n\(result.stdout)")
        }
        #expect(!result.stderr.contains("tokens/s"), "progress printed despite --quiet: \(result.stderr)")
    }
}
