import Foundation
import Testing
import SwitchyardTestSupport

/// `--log-level`: swift-log lines on standard error at the chosen level, passed on to the hosts a
/// run starts (at warning unless the run asks for more detail than info).
@Suite(.serialized) struct LogLevelTests {
    let switchyard = TestProducts.executable("switchyard")

    func twoHostCluster() throws -> (file: String, folder: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let hosts = (0..<2).map { #"{"endpoint": "ipc://\#(folder.path)/h\#($0)", "device": {"node": 0, "gpu": \#($0)}}"# }
        let json = """
        {"topology": "dgx-b200.json", "transport": "zmq", "payload": "f32",
         "coordinator": {"endpoint": "ipc://\(folder.path)/coordinator", "device": {"node": 0, "gpu": 0}},
         "hosts": [\(hosts.joined(separator: ", "))]}
        """
        let file = folder.appendingPathComponent("cluster.json").path
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return (file, folder.path)
    }

    func run(level: String?, in folder: String, cluster: String) throws -> ProcessResult {
        try Subprocess.run(switchyard, ["run", "--cluster", cluster, "--model", "tiny", "--requests", "2", "--prompt-tokens", "4",
                                        "--new-tokens", "2", "--out", folder + "/run-\(level ?? "default")", "--quiet"]
                                       + (level.map { ["--log-level", $0] } ?? []), timeout: .seconds(120))
    }

    @Test func hostsLogStartAndStopOnlyBelowInfo() throws {
        let (file, folder) = try twoHostCluster()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let quiet = try run(level: nil, in: folder, cluster: file)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(!quiet.stderr.contains("listening at"), "hosts of a run at info log at warning: \(quiet.stderr)")
        #expect(!quiet.stderr.contains("shut down by its coordinator"), "\(quiet.stderr)")

        let detailed = try run(level: "debug", in: folder, cluster: file)
        #expect(detailed.status == 0, "\(detailed.stderr)")
        for host in 0..<2 {
            #expect(detailed.stderr.contains("expert host \(host): ") && detailed.stderr.contains("listening at"), "\(detailed.stderr)")
        }
        let lines = detailed.stderr.split(separator: "\n").filter { $0.contains("shut down by its coordinator") }
        #expect(lines.count == 2, "\(detailed.stderr)")
        // swift-log's stream format: the level and the logger's label on every line.
        #expect(lines.allSatisfy { $0.contains(" info ") && $0.contains("expert-host-") }, "\(lines)")
    }

    @Test(arguments: ["run", "coordinator", "serve", "expert-host", "mpi-job"])
    func anUnknownLevelIsAUsageError(command: String) throws {
        let result = try Subprocess.run(switchyard, [command, "--log-level", "loud"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--log-level") && result.stderr.contains("loud"), "\(result.stderr)")
    }
}
