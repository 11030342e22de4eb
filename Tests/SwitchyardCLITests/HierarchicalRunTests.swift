import Foundation
import Testing
import SwitchyardTestSupport

/// `switchyard run` over a cluster whose hosts span two nodes: it starts a relay process per node
/// beside the hosts, and the run directory, `traffic` and the report show both hops.
@Suite(.serialized) struct HierarchicalRunTests {
    let switchyard = TestProducts.executable("switchyard")

    func cluster(in folder: URL, exchange: String?, replicas: Int = 1) throws -> String {
        let hosts = (0..<4).map { #"{"endpoint": "ipc://\#(folder.path)/h\#($0)", "device": {"node": \#($0 / 2), "gpu": \#($0 % 2)}}"# }
        let file = folder.appendingPathComponent("cluster-\(exchange ?? "default").json").path
        try """
        {"topology": "hgx-h100-x4.json", "transport": "zmq", "payload": "f32", "replicas": \(replicas)\(exchange.map { #", "exchange": "\#($0)""# } ?? ""),
         "coordinator": {"endpoint": "ipc://\(folder.path)/coordinator", "device": {"node": 0, "gpu": 0}},
         "hosts": [\(hosts.joined(separator: ", "))]}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func generated(_ run: String) throws -> [[Int]] {
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as? [String: Any])
        return (summary["outputs"] as! [[String: Any]]).map { $0["generated"] as! [Int] }
    }

    @Test func runStartsARelayPerNodeAndTrafficShowsBothHops() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-hier-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let workload = ["--model", "tiny", "--requests", "3", "--prompt-tokens", "6", "--new-tokens", "4", "--max-batch", "3", "--quiet"]
        let out = folder.appendingPathComponent("run").path
        let run = try Subprocess.run(switchyard, ["run", "--cluster", try cluster(in: folder, exchange: nil), "--out", out] + workload, timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2 node relays (hierarchical exchange) over zmq"), "\(run.stdout)")
        let direct = folder.appendingPathComponent("direct").path
        let flat = try Subprocess.run(switchyard, ["run", "--cluster", try cluster(in: folder, exchange: "direct"), "--out", direct] + workload,
                                      timeout: .seconds(120))
        #expect(flat.status == 0, "\(flat.stderr)")
        #expect(try generated(out) == (try generated(direct)))
        for relay in 0..<2 {
            for file in ["traffic.jsonl", "traffic-host-0.jsonl", "traffic-host-1.jsonl"] {
                #expect(FileManager.default.fileExists(atPath: out + "/relay-\(relay)/" + file), "relay-\(relay)/\(file)")
            }
        }
        let traffic = try Subprocess.run(switchyard, ["traffic", out, "--json"])
        #expect(traffic.status == 0, "\(traffic.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(traffic.stdout.utf8)) as? [String: Any])
        #expect(object["exchange"] as? String == "hierarchical")
        let relays = try #require(object["relays"] as? [[String: Any]])
        #expect(relays.map { $0["node"] as? Int } == [0, 1] && relays.allSatisfy { ($0["dispatch_bytes"] as? Int ?? 0) > 0 })
        #expect((object["relay_host_bytes"] as? Int ?? 0) > 0 && (object["inter_node_bytes"] as? Int ?? 0) > 0)
        let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(report.contains("coordinator ↔ relays") && report.contains("2 node relays to 4 expert hosts (hierarchical exchange)"))
    }

    /// A host killed behind its relay stalls that relay's exchange: the coordinator declares the
    /// relay lost and sends its pairs to the other node's replicas; the tokens do not change.
    @Test func aHostKilledBehindARelayIsLivedThroughOverTheOtherNode() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-hier-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try cluster(in: folder, exchange: nil, replicas: 2)
        let workload = ["--model", "tiny", "--requests", "4", "--prompt-tokens", "5", "--new-tokens", "24", "--max-batch", "2", "--quiet"]
        let killed = folder.appendingPathComponent("killed").path, calm = folder.appendingPathComponent("calm").path
        let faulty = try Subprocess.run(switchyard, ["run", "--cluster", file, "--out", killed, "--inject", "kill:host=1@step=4"] + workload,
                                        timeout: .seconds(120))
        #expect(faulty.status == 0, "\(faulty.stderr)")
        let plain = try Subprocess.run(switchyard, ["run", "--cluster", file, "--out", calm] + workload, timeout: .seconds(120))
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try generated(killed) == (try generated(calm)))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: killed + "/summary.json"))) as? [String: Any])
        let events = ((summary["faults"] as? [String: Any])?["events"] as? [[String: Any]]) ?? []
        #expect(events.contains { $0["event"] as? String == "lost" && $0["host"] as? Int == 0 }, "\(events)")
    }

    @Test func aRelayOfNoSuchNodeOrOfADirectClusterIsAUsageError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-hier-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = try Subprocess.run(switchyard, ["relay", "--cluster", try cluster(in: folder, exchange: nil), "--relay", "2", "--model", "tiny"])
        #expect(missing.status == 2 && missing.stderr.contains("--relay 2 is not a relay of"), "\(missing.stderr)")
        let direct = try Subprocess.run(switchyard, ["relay", "--cluster", try cluster(in: folder, exchange: "direct"), "--relay", "0", "--model", "tiny"])
        #expect(direct.status == 2 && direct.stderr.contains("has a direct exchange"), "\(direct.stderr)")
    }
}
