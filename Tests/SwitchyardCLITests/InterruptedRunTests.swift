import Foundation
import Testing
import SwitchyardTestSupport

/// A run directory always ends complete or marked interrupted: SIGTERM or SIGINT stops the
/// workload at a step boundary, summary.json says `"interrupted": true`, the traffic files parse;
/// and a reused --out keeps no file of the run before.
@Suite(.serialized) struct InterruptedRunTests {
    let switchyard = TestProducts.executable("switchyard")

    func folder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sy-interrupted-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// A cluster file of `hosts` ZeroMQ hosts on ipc sockets in `folder`.
    func clusterFile(hosts: Int, in folder: String) throws -> String {
        let hostList = (0..<hosts).map { #"{"endpoint": "ipc://\#(folder)/h\#($0)", "device": {"node": 0, "gpu": \#($0)}}"# }
        let json = """
        {"topology": "dgx-b200.json", "transport": "zmq", "payload": "f32", "placement": "contiguous",
         "coordinator": {"endpoint": "ipc://\(folder)/coordinator", "device": {"node": 0, "gpu": 0}},
         "hosts": [\(hostList.joined(separator: ", "))]}
        """
        let file = folder + "/cluster-\(hosts).json"
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalledRunLeavesASummaryMarkedInterruptedAndItsTraffic(signal: Int32) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: switchyard)
        process.arguments = ["run", "--cluster", try clusterFile(hosts: 4, in: dir), "--model", "tiny", "--requests", "100000",
                             "--new-tokens", "1000", "--prompt-tokens", "4", "--out", out]
        process.standardOutput = FileHandle.nullDevice
        let errors = OutputWatch()
        process.standardError = errors.pipe
        let exit = ProcessExit(process)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        func log() -> String { errors.output }
        // Into the workload: a progress line says steps have been done (printed once a second).
        let stepping = errors.wait(within: 60) { text in text.range(of: #"step [1-9]"#, options: .regularExpression).map { _ in true } }
        try #require(stepping == true && process.isRunning, "the run ended or made no step before the signal: \(log())")
        kill(process.processIdentifier, signal)
        let status = exit.wait(process, within: 60)
        #expect(status == 128 + signal, "\(log())")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        #expect(summary["interrupted"] as? Bool == true)
        #expect((summary["steps"] as? Int ?? 0) > 0)
        for host in 0..<4 {
            #expect(FileManager.default.fileExists(atPath: out + "/traffic-host-\(host).jsonl"), "host \(host) wrote no traffic file")
        }
        let traffic = try Subprocess.run(switchyard, ["traffic", out])
        #expect(traffic.status == 0, "\(traffic.stderr)")
        #expect(traffic.stdout.contains("host 3"))
        let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(report.contains("interrupted"))
    }

    @Test func aFinishedRunSaysItWasNotInterrupted() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Subprocess.run(switchyard, ["run", "--model", "tiny", "--transport", "inproc", "--requests", "2", "--prompt-tokens", "3",
                                                  "--new-tokens", "2", "--out", dir + "/run", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run/summary.json"))) as! [String: Any]
        #expect(summary["interrupted"] as? Bool == false)
    }

    @Test func reusingOutWithFewerHostsLeavesNoStaleHostFile() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        func run(hosts: Int) throws {
            let result = try Subprocess.run(switchyard, ["run", "--cluster", try clusterFile(hosts: hosts, in: dir), "--model", "tiny", "--requests", "2",
                                                         "--prompt-tokens", "3", "--new-tokens", "2", "--out", out, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        try run(hosts: 4)
        #expect(FileManager.default.fileExists(atPath: out + "/traffic-host-3.jsonl"))
        // Files the run does not write stay.
        let mine = ["notes.txt", "traffic-host-x.jsonl", "summary.json.bak"]
        for name in mine { _ = FileManager.default.createFile(atPath: out + "/" + name, contents: Data("keep".utf8)) }
        try run(hosts: 2)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        #expect(Set(names.filter { $0.hasPrefix("traffic-host-") && $0 != "traffic-host-x.jsonl" }) == ["traffic-host-0.jsonl", "traffic-host-1.jsonl"])
        for name in mine { #expect(names.contains(name), "\(name) was removed") }
        let traffic = try Subprocess.run(switchyard, ["traffic", out])
        #expect(traffic.status == 0, "\(traffic.stderr)")
        #expect(!traffic.stdout.contains("host 2"))
    }
}
