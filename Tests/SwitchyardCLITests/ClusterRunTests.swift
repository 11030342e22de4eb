import Foundation
import Testing
import SwitchyardTestSupport

/// The cluster commands as a user runs them: real processes over ZeroMQ and under mpirun.
@Suite(.serialized) struct ClusterRunTests {
    let switchyard = TestProducts.executable("switchyard")
    /// A cluster file in a fresh folder: `hosts` expert hosts on ipc sockets inside it.
    func clusterFile(hosts: Int, payload: String = "f32", placement: String = "contiguous") throws -> (file: String, folder: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-cluster-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let hostList = (0..<hosts).map { #"{"endpoint": "ipc://\#(folder.path)/h\#($0)", "device": {"node": \#($0 / 8), "gpu": \#($0 % 8)}}"# }
        let json = """
        {"topology": "dgx-b200.json", "transport": "zmq", "payload": "\(payload)", "placement": "\(placement)",
         "coordinator": {"endpoint": "ipc://\(folder.path)/coordinator", "device": {"node": 0, "gpu": 0}},
         "hosts": [\(hostList.joined(separator: ", "))]}
        """
        let file = folder.appendingPathComponent("cluster.json").path
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return (file, folder.path)
    }

    /// Processes started with `--parent-pid pid`: expert hosts a launcher left behind.
    func orphans(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            guard let data = FileManager.default.contents(atPath: "/proc/\(candidate)/cmdline") else { return false }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return zip(args, args.dropFirst()).contains { $0 == "--parent-pid" && $1 == String(pid) }
        }
    }

    func readNpy(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        return data.dropFirst(10 + headerLength).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test(arguments: ["zmq", "inproc"], [1, 2, 8, 32])
    func forwardThroughTheClusterMatchesOneProcess(transport: String, hosts: Int) throws {
        let (file, folder) = try clusterFile(hosts: hosts, placement: "round-robin")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tokens = "5,77,300,12,499,8,64,128,256,3"
        let one = folder + "/one.npy", split = folder + "/split.npy"
        let single = try Subprocess.run(switchyard, ["forward", "--model", "tiny", "--seed", "3", "--tokens", tokens, "--output", one])
        #expect(single.status == 0, "\(single.stderr)")
        let cluster = try Subprocess.run(switchyard, ["forward", "--model", "tiny", "--seed", "3", "--tokens", tokens, "--output", split,
                                                      "--cluster", file, "--transport", transport])
        #expect(cluster.status == 0, "\(cluster.stderr)")
        let a = try readNpy(one), b = try readNpy(split)
        #expect(a.count == 10 * 512 && b.count == a.count)
        let largest = a.map(abs).max()!
        let worst = zip(a, b).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-5 * largest, "max |Δ| \(worst) of \(largest)")
    }

    /// The same workload over ZeroMQ processes, threads and mpirun ranks gives the tokens the
    /// single-process model generates, whatever the number of hosts.
    @Test(arguments: [1, 2, 8, 32])
    func runGivesTheSingleProcessTokensOverEveryTransport(hosts: Int) throws {
        let (file, folder) = try clusterFile(hosts: hosts)
        let mpi = MPISession()
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            mpi.remove()
        }
        // The prompts `run` makes up: request r's token i is (1 + 7919 r + 104729 i) mod vocab.
        let expected = try (0..<3).map { r -> [Int] in
            let prompt = (0..<5).map { String((1 + r * 7919 + $0 * 104_729) % 512) }.joined(separator: ",")
            let single = try Subprocess.run(switchyard, ["generate", "--model", "tiny", "--tokens", prompt, "--max-new-tokens", "4", "--json"])
            #expect(single.status == 0, "\(single.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as! [String: Any]
            return object["generated"] as! [Int]
        }
        for (name, extra) in [("zmq", [String]()), ("inproc", ["--transport", "inproc"]), ("mpi", ["--launcher", "mpirun"])] {
            let out = folder + "/run-\(name)"
            let result = try Subprocess.run(switchyard, ["run", "--cluster", file, "--model", "tiny", "--requests", "3", "--prompt-tokens", "5",
                                                         "--new-tokens", "4", "--max-batch", "2", "--out", out] + extra,
                                            environment: mpi.environment, timeout: .seconds(120))
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout.contains("tokens/s") && result.stdout.contains("step latency p99"), "\(name): \(result.stdout)")
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
            #expect(summary["generated_tokens"] as? Int == 12)
            #expect(summary["transport"] as? String == name)
            // 32 hosts stand for 4 nodes: relays (one per node) are the coordinator's peers, except
            // under mpirun, which starts none and keeps the exchange direct.
            let relayed = hosts > 8 && name != "mpi"
            #expect((summary["hosts"] as? [Any])?.count == (relayed ? hosts / 8 : hosts), "\(name)")
            #expect(summary["exchange"] as? String == (relayed ? "hierarchical" : nil), "\(name)")
            let layers = summary["layers"] as! [[String: Any]]
            #expect(layers.count == 2 && layers.allSatisfy { ($0["dispatch_bytes"] as! Int) > 0 && ($0["combine_bytes"] as! Int) > 0 })
            // The ledger's wire bytes and the session's control frames are what the transport itself
            // moved during the workload, counted there independently.
            let traffic = summary["traffic"] as! [String: Any], counted = summary["transport_counters"] as! [String: Int]
            let control = summary["control_frames"] as! [String: Int]
            #expect(counted["sent_bytes"] == (traffic["dispatch_bytes"] as! Int) + control["sent_bytes"]!, "\(name): \(counted) vs \(traffic) + \(control)")
            #expect(counted["received_bytes"] == (traffic["combine_bytes"] as! Int) + control["received_bytes"]!, "\(name): \(counted) vs \(traffic) + \(control)")
            #expect(counted["sent_messages"] == (traffic["messages"] as! Int) / 2 + control["sent_messages"]!, "\(name)")
            let generated = (summary["outputs"] as! [[String: Any]]).sorted { ($0["request"] as! Int) < ($1["request"] as! Int) }
            #expect(generated.map { $0["generated"] as! [Int] } == expected, "\(name) with \(hosts) hosts")
        }
    }

    /// Starts `run` with a workload far too long to finish, and waits until its 4 hosts are up.
    func startEndlessRun(file: String, folder: String, stderr: Any, extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: switchyard)
        process.arguments = ["run", "--cluster", file, "--model", "tiny", "--requests", "100000", "--new-tokens", "1000", "--quiet",
                             "--out", folder + "/run"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while orphans(of: process.processIdentifier).count < 4, ContinuousClock.now < deadline { usleep(50_000) }
        // Every host bound its socket, in the run's private folder.
        while socketFiles(runFolder(of: process.processIdentifier)).count < 4, ContinuousClock.now < deadline { usleep(50_000) }
        // Past the handshake and into the workload.
        usleep(500_000)
        return process
    }

    /// The private folder a run keeps its hosts' sockets and keys in, from its hosts' command lines (`--socket-directory`).
    func runFolder(of pid: Int32) -> String? {
        for host in orphans(of: pid) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(host)/cmdline") else { continue }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if let flag = args.firstIndex(of: "--socket-directory"), flag + 1 < args.count { return args[flag + 1] }
        }
        return nil
    }

    /// The hosts' ipc socket files still in a run's folder.
    func socketFiles(_ folder: String?) -> [String] {
        guard let folder else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("host-") && Int($0.dropFirst(5)) != nil }
    }

    /// Nothing of a run's folder is left: no socket file, no key.
    func isGone(_ folder: String) -> Bool { !FileManager.default.fileExists(atPath: folder) }

    @Test func noHostSurvivesSIGTERM() throws {
        let (file, folder) = try clusterFile(hosts: 4)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let process = try startEndlessRun(file: file, folder: folder, stderr: FileHandle.nullDevice)
        #expect(orphans(of: process.processIdentifier).count == 4)
        let sockets = try #require(runFolder(of: process.processIdentifier))
        #expect(socketFiles(sockets).count == 4)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGTERM)
        usleep(200_000)
        #expect(orphans(of: process.processIdentifier).isEmpty)
        #expect(isGone(sockets), "\(socketFiles(sockets))")
    }

    /// Bits of a signal mask of /proc/PID/status ("SigIgn:", "SigBlk:").
    func signalMask(_ field: String, of pid: Int32) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return nil }
        return UInt64(line.split(separator: "\t").last!.trimmingCharacters(in: .whitespaces), radix: 16)
    }

    /// Every host, not only the first one started, dies of a direct SIGTERM; the run then fails
    /// naming the signal, and leaves neither processes nor socket files.
    @Test func everyHostStartsWithDefaultSignalHandling() throws {
        let (file, folder) = try clusterFile(hosts: 4)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let errors = Pipe()
        // Not restarted, and nothing waits for it: the run ends at once, naming the signal.
        let process = try startEndlessRun(file: file, folder: folder, stderr: errors, extra: ["--host-restarts", "0", "--rejoin-wait", "0"])
        let hosts = orphans(of: process.processIdentifier)
        #expect(hosts.count == 4)
        let sockets = try #require(runFolder(of: process.processIdentifier))
        let terminating: UInt64 = 1 << UInt64(SIGINT - 1) | 1 << UInt64(SIGTERM - 1) | 1 << UInt64(SIGHUP - 1)
        for host in hosts {
            #expect(signalMask("SigIgn:", of: host).map { $0 & terminating } == 0, "host pid \(host) ignores some of SIGINT, SIGTERM, SIGHUP")
            #expect(signalMask("SigBlk:", of: host).map { $0 & terminating } == 0, "host pid \(host) blocks some of SIGINT, SIGTERM, SIGHUP")
        }
        let victim = try #require(hosts.max())
        kill(victim, SIGTERM)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text.contains("killed by SIGTERM"), "\(text)")
        #expect(orphans(of: process.processIdentifier).isEmpty)
        #expect(isGone(sockets), "\(socketFiles(sockets))")
    }

    /// Ctrl-C at a terminal signals the whole foreground group at once: the run exits 130 every
    /// time (no host is seen dying first and reported as a failure), leaving nothing behind.
    @Test func ctrlCToTheProcessGroupExits130() throws {
        let (file, folder) = try clusterFile(hosts: 4)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for attempt in 0..<3 {
            let errors = Pipe()
            let process = try startEndlessRun(file: file, folder: folder, stderr: errors)
            // Foundation starts it as the leader of a process group of its own, as a shell starts a job.
            try #require(getpgid(process.processIdentifier) == process.processIdentifier)
            #expect(orphans(of: process.processIdentifier).count == 4)
            let sockets = try #require(runFolder(of: process.processIdentifier))
            kill(-process.processIdentifier, SIGINT)
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 128 + SIGINT, "attempt \(attempt): \(text)")
            #expect(orphans(of: process.processIdentifier).isEmpty)
            #expect(isGone(sockets), "attempt \(attempt): \(socketFiles(sockets))")
        }
    }

    @Test func aCrashedHostIsRestartedAndTheRunGoesOn() throws {
        let (file, folder) = try clusterFile(hosts: 4)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = folder + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = try startEndlessRun(file: file, folder: folder, stderr: try FileHandle(forWritingTo: URL(fileURLWithPath: log)))
        let hosts = orphans(of: process.processIdentifier)
        let sockets = try #require(runFolder(of: process.processIdentifier))
        let victim = try #require(hosts.first)
        kill(victim, SIGKILL)
        // A new process takes its place, and the run is still going.
        let deadline = ContinuousClock.now + .seconds(20)
        while Set(orphans(of: process.processIdentifier)).subtracting(hosts).isEmpty, ContinuousClock.now < deadline { usleep(50_000) }
        #expect(!Set(orphans(of: process.processIdentifier)).subtracting(hosts).isEmpty,
                "no host restarted: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(process.isRunning)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGTERM)
        usleep(200_000)
        #expect(orphans(of: process.processIdentifier).isEmpty)
        #expect(isGone(sockets), "\(socketFiles(sockets))")
    }

    @Test func hostsHoldingAnotherModelRefuseTheCoordinatorAndKeepServing() throws {
        let (file, folder) = try clusterFile(hosts: 2)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let hosts = try (0..<2).map { host -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: switchyard)
            p.arguments = ["expert-host", "--cluster", file, "--host", String(host), "--model", "tiny", "--seed", "1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        defer { hosts.forEach { if $0.isRunning { kill($0.processIdentifier, SIGKILL) } } }
        let wrong = try Subprocess.run(switchyard, ["coordinator", "--cluster", file, "--model", "tiny", "--seed", "2", "--handshake-timeout", "20",
                                                    "--out", folder + "/wrong"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("refused") && wrong.stderr.contains("weights fingerprint differs"), "\(wrong.stderr)")
        #expect(hosts.allSatisfy { $0.isRunning })
        let right = try Subprocess.run(switchyard, ["coordinator", "--cluster", file, "--model", "tiny", "--seed", "1", "--requests", "2",
                                                    "--new-tokens", "2", "--out", folder + "/right"])
        #expect(right.status == 0, "\(right.stderr)")
        for host in hosts { host.waitUntilExit() }
        #expect(hosts.allSatisfy { $0.terminationStatus == 0 })
    }
}
