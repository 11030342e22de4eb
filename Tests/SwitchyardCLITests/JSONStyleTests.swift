import Foundation
import Testing
import SwitchyardTestSupport

/// Every command that prints JSON: snake_case keys, no escaped slashes, and one `--json [FILE]`
/// convention (a bare `--json` prints the JSON instead of the text; `--json FILE` prints the text
/// and writes the same JSON into FILE).
@Suite(.serialized) struct JSONStyleTests {
    let switchyard = TestProducts.executable("switchyard")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Commands whose output depends only on their arguments: `--json` and `--json FILE` must agree exactly.
    static let deterministic: [[String]] = [
        ["model", "info", "mini"],
        ["plan", "--model", "mini", "--topology", "hgx-h100"],
        ["plan", "--model", "tiny", "--all"],
        ["compare", "--model", "mini", "hgx-h100", "h200-x2"],
        ["simulate", "--model", "tiny", "--topology", "hgx-h100", "--phase", "decode", "--batch", "8"],
        ["simulate", "alltoall", "--topology", "hgx-h100-x4", "--ranks", "8", "--tokens-per-rank", "4", "--hidden", "64",
         "--experts", "16", "--topk", "2"],
        ["topology", "show", "hgx-h100-x4"],
    ]
    /// Commands that time something: the two outputs must have the same keys.
    static let measured: [[String]] = [
        ["generate", "--model", "tiny", "--tokens", "1,2,3", "--max-new-tokens", "2"],
        ["bench", "machine", "--gemm-size", "32", "--buffer-mib", "1"],
        ["bench", "experts", "--hidden", "64", "--intermediate", "32", "--prefill-tokens", "4", "--decode-experts", "1"],
        ["bench", "model", "--model", "tiny", "--steps", "1", "--prompt-tokens", "2"],
        ["bench", "alltoall", "--transport", "inproc", "--hosts", "2", "--tokens", "2", "--hidden", "16", "--experts", "4", "--topk", "2",
         "--iters", "1", "--warmup", "0"],
    ]

    func run(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.run(switchyard, arguments, directory: Self.repository.path, timeout: .seconds(300))
    }

    func folder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sy-json-style-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Every key out of snake_case, as a path.
    static func keysOutOfStyle(_ object: Any, _ path: String = "") -> [String] {
        if let dictionary = object as? [String: Any] {
            return dictionary.keys.sorted().flatMap { key -> [String] in
                let here = path.isEmpty ? key : path + "." + key
                let ok = key.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) != nil
                return (ok ? [] : [here]) + keysOutOfStyle(dictionary[key]!, here)
            }
        }
        if let array = object as? [Any] { return array.enumerated().flatMap { keysOutOfStyle($0.element, path + "[\($0.offset)]") } }
        return []
    }

    /// The document's key paths, array positions left out.
    static func shape(_ object: Any, _ path: String = "") -> Set<String> {
        if let dictionary = object as? [String: Any] {
            return dictionary.reduce(into: Set([path])) { $0.formUnion(shape($1.value, path + "." + $1.key)) }
        }
        if let array = object as? [Any] { return array.reduce(into: Set([path + "[]"])) { $0.formUnion(shape($1, path + "[]")) } }
        return [path]
    }

    /// Checks one document's text; returns it parsed.
    func checked(_ text: String, _ what: String) throws -> Any {
        #expect(!text.contains(#"\/"#), "\(what): escaped slash")
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(Self.keysOutOfStyle(object).isEmpty, "\(what): keys out of snake_case: \(Self.keysOutOfStyle(object))")
        return object
    }

    /// Runs `arguments` with `--json` and with `--json FILE`; returns both documents.
    func both(_ arguments: [String]) throws -> (stdout: Any, file: Any) {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = arguments.prefix(2).joined(separator: " ")
        let bare = try run(arguments + ["--json"])
        #expect(bare.status == 0, "\(name) --json: \(bare.stderr)")
        let printed = try checked(bare.stdout, "\(name) --json")
        let file = dir + "/out.json"
        let named = try run(arguments + ["--json", file])
        #expect(named.status == 0, "\(name) --json FILE: \(named.stderr)")
        let written = try checked(try String(contentsOfFile: file, encoding: .utf8), "\(name) --json FILE")
        // With a file the text is printed as usual, not the JSON.
        #expect((try? JSONSerialization.jsonObject(with: Data(named.stdout.utf8))) == nil, "\(name) --json FILE printed JSON: \(named.stdout.prefix(200))")
        return (printed, written)
    }

    @Test(arguments: deterministic) func deterministicCommandsPrintAndWriteTheSameJSON(arguments: [String]) throws {
        let (printed, written) = try both(arguments)
        #expect(NSDictionary(dictionary: ["v": printed]).isEqual(to: ["v": written]), "\(arguments.joined(separator: " ")): stdout and file differ")
    }

    @Test(arguments: measured) func measuringCommandsPrintAndWriteTheSameKeys(arguments: [String]) throws {
        let (printed, written) = try both(arguments)
        #expect(Self.shape(printed) == Self.shape(written), "\(arguments.joined(separator: " ")): keys differ")
    }

    /// summary.json and the run-directory readers: traffic and simulate --routing trace:DIR.
    @Test func aRunDirectorysJSONIsInStyle() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run/with/slashes"
        let workload = try run(["run", "--model", "tiny", "--requests", "2", "--prompt-tokens", "3", "--new-tokens", "2", "--transport", "inproc",
                                "--out", out, "--quiet"])
        #expect(workload.status == 0, "\(workload.stderr)")
        let summary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
        _ = try checked(summary, "summary.json")
        for line in try String(contentsOfFile: out + "/traffic.jsonl", encoding: .utf8).split(separator: "\n") {
            _ = try checked(String(line), "traffic.jsonl")
        }
        let (printed, written) = try both(["traffic", out])
        #expect(NSDictionary(dictionary: ["v": printed]).isEqual(to: ["v": written]))
        let traffic = try #require(printed as? [String: Any])
        #expect(traffic["wire_bytes"] as? Int != nil && traffic["matrix_bytes"] as? [[Int]] != nil)
        let trace = try both(["simulate", "--model", "tiny", "--topology", "dgx-b200", "--routing", "trace:" + out])
        #expect(((trace.stdout as? [String: Any])?["trace"] as? String)?.hasPrefix(out) == true)
    }

    @Test func aBareJSONBeforeAnotherOptionMeansStdout() throws {
        let result = try run(["model", "info", "--json", "-", "tiny"])
        #expect(result.status == 0, "\(result.stderr)")
        _ = try checked(result.stdout, "model info --json - tiny")
        let plan = try run(["plan", "--json", "--model", "tiny", "--topology", "hgx-h100"])
        #expect(plan.status == 0, "\(plan.stderr)")
        _ = try checked(plan.stdout, "plan --json --model")
    }

    @Test func anUnwritableJSONFileIsAnInputError() throws {
        let result = try run(["model", "info", "tiny", "--json", "/nonexistent/dir/out.json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot write /nonexistent/dir/out.json"), "\(result.stderr)")
    }
}
