import Foundation
import Testing
import SwitchyardTestSupport

/// `switchyard help X` for every subcommand reads cleanly in an 80-column terminal.
@Suite struct HelpTextTests {
    static let switchyard = TestProducts.executable("switchyard")

    static func help(_ path: [String], columns: Int) throws -> String {
        let result = try Subprocess.run(switchyard, ["help"] + path, environment: ["COLUMNS": String(columns)], timeout: .seconds(30))
        #expect(result.status == 0, "help \(path): \(result.stderr)")
        return result.stdout
    }

    /// Every command path, found by walking the SUBCOMMANDS sections from the root.
    static func commandPaths() throws -> [[String]] {
        var paths: [[String]] = [], pending: [[String]] = [[]]
        while let path = pending.popLast() {
            if !path.isEmpty { paths.append(path) }
            let text = try help(path, columns: 200)
            guard let section = text.range(of: "SUBCOMMANDS:\n") else { continue }
            for line in text[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
                if line.isEmpty { break }
                // "  name   abstract" or "  name (default)   abstract"; continuations are indented deeper.
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
                if name != "help" { pending.append(path + [String(name)]) }
            }
        }
        return paths
    }

    /// The part after the overview's first paragraph and before USAGE: the discussion, which
    /// ArgumentParser re-wraps at the terminal's width, keeping the source's own line breaks.
    static func discussion(_ text: String) -> String {
        let body = text.components(separatedBy: "\nUSAGE:").first ?? text
        return body.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
    }

    @Test func everySubcommandFitsEightyColumnsWithoutRaggedLinesOrLeakedDefaults() throws {
        let paths = try Self.commandPaths()
        #expect(paths.count >= 30, "found only \(paths)")
        #expect(paths.contains(["simulate", "alltoall"]) && paths.contains(["bench", "serve"]) && paths.contains(["run"]))
        for path in paths {
            let narrow = try Self.help(path, columns: 80), wide = try Self.help(path, columns: 400)
            let name = path.joined(separator: " ")
            for line in narrow.split(separator: "\n") {
                #expect(line.count <= 80, "\(name): \(line.count) columns: \(line)")
            }
            // A source line longer than the terminal would be broken in two: a long line, then a stub.
            #expect(Self.discussion(narrow) == Self.discussion(wide), "\(name): its discussion is re-wrapped at 80 columns:\n\(Self.discussion(narrow))")
            #expect(narrow.range(of: #"default: [a-zA-Z]+\("#, options: .regularExpression) == nil, "\(name): a default shown as a Swift value:\n\(narrow)")
            #expect(!narrow.contains("distribution("), "\(name)")
        }
    }

    @Test func routingDefaultsReadAsTyped() throws {
        for path in [["simulate", "step"], ["simulate", "alltoall"], ["compare"]] {
            let text = try Self.help(path, columns: 200)
            #expect(text.contains("(default: uniform)"), "\(path): \(text)")
        }
    }
}
