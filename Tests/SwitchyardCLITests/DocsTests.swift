import Foundation
import Testing
import SwitchyardTestSupport

/// What the README and docs promise a new user, held against the commands.
@Suite struct DocsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    /// README paragraphs and table rows: lines joined until a blank line, one per table row.
    static func paragraphs(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").flatMap { block in
            block.hasPrefix("|") ? block.split(separator: "\n").map(String.init) : [block.replacingOccurrences(of: "\n", with: " ")]
        }
    }

    @Test func simulatorDocDescribesTraceRouting() throws {
        let doc = try Self.text("docs/SIMULATOR.md")
        #expect(doc.contains("**`trace:RUN_DIR`**"))
        #expect(!doc.lowercased().contains("not built"))
        let help = try Subprocess.run(TestProducts.executable("switchyard"), ["help", "simulate", "step"], timeout: .seconds(30))
        #expect(help.stdout.contains("trace:FILE"))
    }

    @Test func readmeSaysWhichCheckpointLayoutTransformersLoads() throws {
        let row = try #require(Self.paragraphs(try Self.text("README.md")).first { $0.contains("`switchyard checkpoint synth") })
        #expect(row.contains("with `--layout fused` (the default) it is transformers 5.x's layout and loads in transformers"))
        #expect(row.contains("`--layout per-expert`") && row.contains("initialises the routed experts at random"))
    }

    @Test func quickStartServesRightAfterMakeRun() throws {
        let readme = try Self.text("README.md")
        let quickStart = try #require(readme.components(separatedBy: "## Quick start").dropFirst().first?.components(separatedBy: "\n## ").first)
        let blocks = quickStart.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        #expect(blocks.count >= 2)
        #expect(blocks[0].contains("make run"))
        #expect(blocks[1].contains("switchyard serve") && blocks[1].contains("curl") && blocks[1].contains("/v1/completions"))
    }

    /// The metrics endpoint closes when a run ends: wherever it is described, --metrics-linger is too.
    @Test func metricsDescriptionsMentionLinger() throws {
        let readme = Self.paragraphs(try Self.text("README.md"))
        let runRow = try #require(readme.first { $0.hasPrefix("| `switchyard run ") })
        #expect(runRow.contains("--metrics-port") && runRow.contains("--metrics-linger"))
        let described = readme.filter { $0.contains("`--metrics-port P`") } + Self.paragraphs(try Self.text("docs/TRAFFIC.md")).filter { $0.contains("--metrics-port P") }
        #expect(!described.isEmpty)
        for paragraph in described { #expect(paragraph.contains("--metrics-linger"), "\(paragraph)") }
    }
}
