import Foundation
import Testing
import SwitchyardTestSupport

/// `switchyard run` as a new user types it: from any folder, without --cluster.
@Suite(.serialized) struct DefaultClusterTests {
    let switchyard = TestProducts.executable("switchyard")

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-default-cluster-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func runFindsTheDefaultClusterFromAnyFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Subprocess.run(switchyard, ["run", "--model", "tiny", "--transport", "inproc", "--requests", "2", "--prompt-tokens", "4",
                                                     "--new-tokens", "2", "--out", "out"],
                                        directory: folder.path, timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("cluster/local-dgx-b200.json: 8 expert hosts over inproc"), "\(result.stdout)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/summary.json").path))
    }

    /// A copy of the executable far from the repository finds no default cluster: exit 2 naming
    /// the file, where it looked, and --cluster.
    @Test func runWithoutAnyClusterNamesThePathsAndTheFlag() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("switchyard").path
        try FileManager.default.copyItem(atPath: switchyard, toPath: copy)
        let result = try Subprocess.run(copy, ["run", "--model", "tiny"], directory: folder.path, timeout: .seconds(60))
        #expect(result.status == 2)
        #expect(result.stderr.contains("the default cluster file cluster/local-dgx-b200.json was not found: looked for "), "\(result.stderr)")
        #expect(result.stderr.contains(folder.appendingPathComponent("cluster/local-dgx-b200.json").path))
        #expect(result.stderr.contains("--cluster FILE"))
        #expect(!result.stderr.contains("Error Domain"))
    }
}
