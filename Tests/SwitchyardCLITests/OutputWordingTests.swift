import Foundation
import Testing
import SwitchyardTestSupport

/// What the tables and summaries say: counts agree with their nouns, verdicts are not repeated,
/// units are labelled and consistent.
@Suite struct OutputWordingTests {
    let switchyard = TestProducts.executable("switchyard")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try Subprocess.run(switchyard, arguments, directory: Self.repository.path, timeout: .seconds(120))
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return result
    }

    @Test func planStatesItsVerdictOnce() throws {
        let fits = try run(["plan", "--model", "mistral-small-4", "--topology", "hgx-h200"]).stdout
        #expect(fits.contains("\nFITS: tightest "), "\(fits)")
        #expect(!fits.contains("FITS: fits"))
        let not = try run(["plan", "--model", "mistral-small-4", "--topology", "h200-x2", "--weights", "bf16"]).stdout
        #expect(not.contains("\nDOES NOT FIT: "), "\(not)")
        #expect(!not.contains("DOES NOT FIT: does not fit"))
    }

    @Test func countsAgreeWithTheirNouns() throws {
        let info = try run(["model", "info", "mistral-small-4"]).stdout
        #expect(info.contains("1 group,"), "\(info)")
        #expect(!info.contains("1 groups"))
        let show = try run(["topology", "show", "hgx-h100"]).stdout
        #expect(show.contains("1 node, 8 GPUs"), "\(show)")
        let validate = try run(["topology", "validate", "hgx-h100"]).stdout
        #expect(validate.contains("1 node, 8 GPUs"), "\(validate)")
        #expect(try Self.plurals(in: info + show + validate).isEmpty)
    }

    /// "1 nodes", "1 groups", … anywhere in `text`.
    static func plurals(in text: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: #"(?<![\d.,])1 (node|GPU|group|host|expert host|request|step|sequence|token|layer|message)s\b"#)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { (text as NSString).substring(with: $0.range) }
    }

    /// Memory in GiB everywhere (the GPU table, the totals), rates in GB/s or TB/s: no bare "GB".
    @Test func topologyShowUsesOneMemoryUnit() throws {
        for preset in ["hgx-h100", "dgx-b200-x2"] {
            let show = try run(["topology", "show", preset]).stdout
            let body = show.split(separator: "\n").dropFirst().joined(separator: "\n")   // the file's own description aside
            #expect(body.range(of: #"\d GB(?!/s)"#, options: .regularExpression) == nil, "\(preset): \(body)")
            let totals = try #require(body.split(separator: "\n").first { $0.hasPrefix("totals") })
            #expect(totals.range(of: #"\d+\.\d GiB memory"#, options: .regularExpression) != nil, "\(totals)")
            #expect(body.contains(" GiB ") && body.contains(" TB/s"))
        }
    }
}
