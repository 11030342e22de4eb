import Foundation
import Testing

/// Ideas the package keeps in one place, checked in its sources: tensor names are spelled only in
/// `TensorNames`, and ledger records of frames are built only by `TrafficRecord.init(_:wireBytes:…)`.
@Suite struct OnePlaceTests {
    static let sources = LayerTests.root.appendingPathComponent("Sources")

    /// Each line of every Swift file under Sources that matches `pattern`, as "path:line: text",
    /// leaving out the files `allowed` (paths relative to Sources).
    static func lines(matching pattern: String, allowed: Set<String>) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        var found: [String] = []
        guard let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        for case let file as URL in files where file.pathExtension == "swift" {
            let relative = String(file.standardizedFileURL.path.dropFirst(sources.standardizedFileURL.path.count + 1))
            guard !allowed.contains(relative) else { continue }
            for (n, line) in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let text = String(line)
                if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { found.append("\(relative):\(n + 1): \(text)") }
            }
        }
        return found
    }

    /// A string literal naming a checkpoint tensor (or part of one).
    static let tensorNameLiteral = #""[^"]*(_proj|_layernorm|embed_tokens|lm_head|\.weight\b|_scale_inv|\.shared_experts|self_attn|mlp\.)[^"]*""#

    @Test func tensorNamesAreSpelledOnlyInTheTable() throws {
        let outside = try Self.lines(matching: Self.tensorNameLiteral, allowed: ["SwitchyardModel/TensorNames.swift"])
        #expect(outside.isEmpty, "\(outside.joined(separator: "\n"))")
        // The check finds the table's own spellings.
        #expect(try Self.lines(matching: Self.tensorNameLiteral, allowed: []).count >= 10)
    }

    @Test func trafficRecordsAreBuiltFromFramesByTheOneBuilder() throws {
        // The record's memberwise initializer stays for its own module (decoding traffic files).
        let outside = try Self.lines(matching: #"TrafficRecord\(kind:"#, allowed: [])
            .filter { !$0.hasPrefix("SwitchyardTraffic/") }
        #expect(outside.isEmpty, "\(outside.joined(separator: "\n"))")
    }
}
