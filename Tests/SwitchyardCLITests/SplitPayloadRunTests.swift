import Foundation
import Testing
import SwitchyardTestSupport

/// A cluster file that sends fp8 dispatches and gets bf16 combines back, run as real processes.
@Suite(.serialized) struct SplitPayloadRunTests {
    let switchyard = TestProducts.executable("switchyard")

    @Test func fp8DispatchAndBF16CombineOverZeroMQ() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-fp8-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let hosts = (0..<2).map { #"{"endpoint": "ipc://\#(folder.path)/h\#($0)", "device": {"node": 0, "gpu": \#($0)}}"# }
        let cluster = folder.appendingPathComponent("cluster.json").path
        try """
        {"topology": "dgx-b200.json", "transport": "zmq", "payload": {"dispatch": "fp8", "combine": "bf16"},
         "coordinator": {"endpoint": "ipc://\(folder.path)/coordinator", "device": {"node": 0, "gpu": 0}},
         "hosts": [\(hosts.joined(separator: ", "))]}
        """.write(toFile: cluster, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("run").path
        let run = try Subprocess.run(switchyard, ["run", "--cluster", cluster, "--model", "tiny", "--requests", "2", "--prompt-tokens", "6",
                                                  "--new-tokens", "4", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as? [String: Any]
        #expect(summary?["payload"] as? [String: String] == ["dispatch": "fp8", "combine": "bf16"], "\(String(describing: summary?["payload"]))")
        let traffic = try Subprocess.run(switchyard, ["traffic", out])
        #expect(traffic.status == 0, "\(traffic.stderr)")
        let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(report.contains("fp8 dispatch, bf16 combine activations"))
    }
}
