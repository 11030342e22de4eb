import Foundation
import Testing
import SwitchyardTestSupport

@Suite struct ClusterCommandTests {
    let switchyard = TestProducts.executable("switchyard")
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: ["local-dgx-b200.json", "local-hgx-h100x4.json", "two-node.example.json"])
    func validatesThePresets(file: String) throws {
        let result = try Subprocess.run(switchyard, ["cluster", "validate", "cluster/\(file)"], directory: Self.root, timeout: .seconds(60))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("coordinator"))
        #expect(result.stdout.contains("host 0 "))
        #expect(result.stdout.contains("every host owns experts"))
    }

    @Test func printsExpertsPerHostForTheModel() throws {
        let result = try Subprocess.run(switchyard, ["cluster", "validate", "cluster/local-dgx-b200.json", "--model", "mistral-small-4"],
                                        directory: Self.root, timeout: .seconds(60))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("ipc:///tmp/switchyard-dgx-b200/host-7"))
        #expect(result.stdout.contains("node 0 gpu 7"))
        #expect(result.stdout.range(of: #"host 7 .*16  112–127"#, options: .regularExpression) != nil, "\(result.stdout)")
        #expect(result.stdout.contains("hidden 4096"))
    }

    @Test func badFilesExitTwoNamingThePath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, String)] = [
            (#"{"topology": "t.json", "transport": "zmq", "coordinator": {"endpoint": "ipc:///tmp/c", "device": {"node": 0, "gpu": 0}}, "hosts": [{"address": "127.0.0.1", "port": 99999, "device": {"node": 0, "gpu": 0}}]}"#,
             "$.hosts[0].port: 99999 is out of range 1...65535"),
            (#"{"topology": "t.json", "transport": "inproc", "placement": {"explicit": [0, 0]}, "coordinator": {"device": {"node": 0, "gpu": 0}}, "hosts": [{"device": {"node": 0, "gpu": 0}}]}"#,
             "$.placement.explicit: an explicit placement lists 2 hosts, but the model has 128 experts"),
            (#"{"transport": "zmq"}"#, "$.topology: is missing"),
        ]
        for (index, (json, message)) in cases.enumerated() {
            let file = folder.appendingPathComponent("bad-\(index).json").path
            try Data(json.utf8).write(to: URL(fileURLWithPath: file))
            let result = try Subprocess.run(switchyard, ["cluster", "validate", file], timeout: .seconds(60))
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(file): \(message)"), "stderr: \(result.stderr)")
        }
        let missing = try Subprocess.run(switchyard, ["cluster", "validate", "/nonexistent/c.json"], timeout: .seconds(60))
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/c.json: $: cannot be read"))
        let badModel = try Subprocess.run(switchyard, ["cluster", "validate", "cluster/local-dgx-b200.json", "--model", "huge"], directory: Self.root, timeout: .seconds(60))
        #expect(badModel.status == 2 && badModel.stderr.contains("--model"))
    }
}
