import Foundation
import Testing
import SwitchyardTestSupport

/// Every file a command writes fails the same way: exit 2 and "cannot write PATH: REASON".
@Suite struct OutputFileTests {
    let switchyard = TestProducts.executable("switchyard")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A fresh folder holding a plain file, so paths under that file cannot be created.
    func folderWithAFile() throws -> (folder: URL, file: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("plain-file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        return (folder, file)
    }

    func expectWriteError(_ arguments: [String], path: String, reason: String) throws {
        let result = try Subprocess.run(switchyard, arguments, directory: Self.repository.path, timeout: .seconds(120))
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr == "switchyard: cannot write \(path): \(reason)\n", "\(arguments)")
    }

    @Test func forwardIntoAMissingDirectory() throws {
        let missing = "/nonexistent-\(getpid())/dir/x.npy"
        try expectWriteError(["forward", "--model", "tiny", "--tokens", "1,2,3", "--output", missing], path: missing, reason: "no such directory")
    }

    @Test func directoriesUnderAPlainFile() throws {
        let (folder, file) = try folderWithAFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        try expectWriteError(["keygen", "--out", file + "/keys", "--name", "a"], path: file + "/keys", reason: "\(file) is not a directory")
        try expectWriteError(["checkpoint", "synth", "--model", "tiny", "--out", file + "/ckpt"], path: file + "/ckpt", reason: "\(file) is not a directory")
        try expectWriteError(["simulate", "--model", "tiny", "--topology", "hgx-h100", "--phase", "decode", "--batch", "8", "--report", file + "/report"],
                             path: file + "/report", reason: "\(file) is not a directory")
    }

    @Test func benchJSONIntoAMissingDirectory() throws {
        let missing = "/nonexistent-\(getpid())/bench.json"
        try expectWriteError(["bench", "machine", "--gemm-size", "64", "--buffer-mib", "1", "--json", missing], path: missing, reason: "no such directory")
    }

    @Test func forwardOntoADirectory() throws {
        let (folder, _) = try folderWithAFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        try expectWriteError(["forward", "--model", "tiny", "--tokens", "1", "--output", folder.path], path: folder.path, reason: "it is a directory")
    }
}
