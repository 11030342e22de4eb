import Foundation
import Testing
import SwitchyardTestSupport

/// Run identity and CURVE as a user meets them: concurrent runs of one cluster file, keys from
/// `switchyard keygen` on a tcp cluster started by hand.
@Suite(.serialized) struct ClusterSecurityRunTests {
    let switchyard = TestProducts.executable("switchyard")
    let workload = ["--model", "tiny", "--requests", "2", "--prompt-tokens", "4", "--new-tokens", "3", "--max-batch", "2"]

    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sy-secure-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func generated(_ run: String) throws -> [[Int]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (summary["outputs"] as! [[String: Any]]).sorted { ($0["request"] as! Int) < ($1["request"] as! Int) }.map { $0["generated"] as! [Int] }
    }

    @Test func twoConcurrentRunsOfOneClusterFileEachUseTheirOwnHosts() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Fixed ipc paths, as in the presets: both runs read the same file at the same time.
        let json = """
        {"topology": "dgx-b200.json", "transport": "zmq",
         "coordinator": {"endpoint": "ipc://\(folder)/fixed/coordinator", "device": {"node": 0, "gpu": 0}},
         "hosts": [{"endpoint": "ipc://\(folder)/fixed/host-0", "device": {"node": 0, "gpu": 0}},
                   {"endpoint": "ipc://\(folder)/fixed/host-1", "device": {"node": 0, "gpu": 1}}]}
        """
        try json.write(toFile: folder + "/cluster.json", atomically: true, encoding: .utf8)
        let runs = try (0..<2).map { index -> (Process, Pipe) in
            let process = Process(), errors = Pipe()
            process.executableURL = URL(fileURLWithPath: switchyard)
            process.arguments = ["run", "--cluster", folder + "/cluster.json", "--quiet", "--handshake-timeout", "30", "--out", folder + "/run-\(index)"] + workload
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            return (process, errors)
        }
        for (index, (process, errors)) in runs.enumerated() {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "run \(index): \(text)")
        }
        let expected = try generated(folder + "/run-0")
        #expect(expected.count == 2 && expected.allSatisfy { $0.count == 3 })
        #expect(try generated(folder + "/run-1") == expected)
        // Each run's own two hosts served it and wrote their ledgers into its directory.
        for index in 0..<2 {
            for host in 0..<2 {
                let ledger = (try? String(contentsOfFile: folder + "/run-\(index)/traffic-host-\(host).jsonl", encoding: .utf8)) ?? ""
                #expect(ledger.contains("\"kind\":\"dispatch\""), "run \(index) host \(host): \(ledger.prefix(200))")
            }
        }
        // Neither run used the file's fixed paths: its sockets lived in a private folder.
        #expect(!FileManager.default.fileExists(atPath: folder + "/fixed"))
    }

    @Test func keygenKeysSecureATCPClusterStartedByHand() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["coordinator", "host-0", "intruder"] {
            let made = try Subprocess.run(switchyard, ["keygen", "--out", folder + "/keys", "--name", name])
            #expect(made.status == 0, "\(made.stderr)")
        }
        let z85 = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        for name in ["coordinator", "host-0"] {
            for suffix in [".key", ".key_secret"] {
                let text = try String(contentsOfFile: folder + "/keys/" + name + suffix, encoding: .utf8)
                #expect(text.count == 41 && text.hasSuffix("\n") && text.dropLast().allSatisfy(z85.contains), "\(name)\(suffix): \(text)")
            }
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: folder + "/keys/\(name).key_secret")[.posixPermissions] as? Int)
            #expect(mode == 0o600)
        }
        let again = try Subprocess.run(switchyard, ["keygen", "--out", folder + "/keys", "--name", "host-0"])
        #expect(again.status == 2 && again.stderr.contains("never overwritten"), "\(again.stderr)")

        let port = Int.random(in: 20000...40000)
        func cluster(_ name: String, keys: Bool, extra: String = "") throws -> String {
            let key = { (role: String) in keys ? #", "public_key": "keys/\#(role).key""# : "" }
            let json = """
            {"topology": "dgx-b200.json", "transport": "zmq"\(extra),
             "coordinator": {"endpoint": "tcp://127.0.0.1:\(port)", "device": {"node": 0, "gpu": 0}\(key("coordinator"))},
             "hosts": [{"endpoint": "tcp://127.0.0.1:\(port + 1)", "device": {"node": 0, "gpu": 0}\(key("host-0"))}]}
            """
            try json.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            return folder + "/" + name
        }
        let bare = try Subprocess.run(switchyard, ["coordinator", "--cluster", try cluster("bare.json", keys: false)] + workload)
        #expect(bare.status == 2 && bare.stderr.contains("tcp endpoints need CURVE keys"), "\(bare.stderr)")
        let plaintext = try Subprocess.run(switchyard, ["coordinator", "--cluster", try cluster("none.json", keys: false, extra: #", "security": "none""#),
                                                        "--handshake-timeout", "1"] + workload)
        #expect(plaintext.status == 1 && plaintext.stderr.contains("warning:") && plaintext.stderr.contains("neither authenticated nor encrypted"),
                "\(plaintext.stderr)")

        let file = try cluster("cluster.json", keys: true)
        let host = Process()
        host.executableURL = URL(fileURLWithPath: switchyard)
        host.arguments = ["expert-host", "--cluster", file, "--host", "0", "--model", "tiny"]
        host.standardOutput = FileHandle.nullDevice
        let hostLog = Pipe()
        host.standardError = hostLog
        try host.run()
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        // Someone else's secret key is refused before any connection; a listed key pair runs.
        let wrong = try Subprocess.run(switchyard, ["coordinator", "--cluster", file, "--secret-key", folder + "/keys/intruder.key_secret"] + workload)
        #expect(wrong.status == 2 && wrong.stderr.contains("does not belong to the coordinator's public key"), "\(wrong.stderr)")
        let right = try Subprocess.run(switchyard, ["coordinator", "--cluster", file, "--handshake-timeout", "20", "--quiet", "--out", folder + "/run"] + workload,
                                       timeout: .seconds(60))
        #expect(right.status == 0, "\(right.stderr)")
        host.waitUntilExit()
        let log = String(decoding: hostLog.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(host.terminationStatus == 0 && log.contains("(CURVE)"), "\(log)")
        #expect(try generated(folder + "/run").count == 2)
    }
}
