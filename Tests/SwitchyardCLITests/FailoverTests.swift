import Foundation
import Testing
import SwitchyardTestSupport

/// Hosts killed and stopped mid-generation, with real processes: the run carries on over the
/// replicas or the restarted host, the tokens are those of one process, and nothing is left behind.
@Suite(.serialized) struct FailoverTests {
    let switchyard = TestProducts.executable("switchyard")
    let run = ClusterRunTests()

    func cluster(hosts: Int, replicas: Int) throws -> (file: String, folder: String) {
        let (file, folder) = try run.clusterFile(hosts: hosts, placement: "round-robin")
        var text = try String(contentsOfFile: file, encoding: .utf8)
        text = text.replacingOccurrences(of: #""transport": "zmq","#, with: #""transport": "zmq", "replicas": \#(replicas),"#)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return (file, folder)
    }

    /// The tokens `generate` gives for `run`'s made-up prompts (request r, token i: 1 + 7919 r + 104729 i mod vocab).
    func expected(requests: Int, newTokens: Int = 12) throws -> [[Int]] {
        try (0..<requests).map { r -> [Int] in
            let prompt = (0..<5).map { String((1 + r * 7919 + $0 * 104_729) % 512) }.joined(separator: ",")
            let single = try Subprocess.run(switchyard, ["generate", "--model", "tiny", "--tokens", prompt, "--max-new-tokens", String(newTokens), "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as! [String: Any]
            return object["generated"] as! [Int]
        }
    }

    func summary(_ out: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
    }

    func outputs(_ summary: [String: Any]) -> [[Int]] {
        (summary["outputs"] as! [[String: Any]]).sorted { ($0["request"] as! Int) < ($1["request"] as! Int) }.map { $0["generated"] as! [Int] }
    }

    func noHostLeft(_ folder: String) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return !entries.compactMap(Int32.init).contains { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(folder)
        }
    }

    @Test func replicasCarryTheRunThroughAKillAndAStop() throws {
        let (file, folder) = try cluster(hosts: 8, replicas: 2)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = folder + "/run"
        // Long enough for the killed host to be restarted and used again before the end.
        let result = try Subprocess.run(switchyard, ["run", "--cluster", file, "--model", "tiny", "--requests", "4", "--prompt-tokens", "5",
                                                     "--new-tokens", "200", "--max-batch", "2", "--out", out, "--quiet",
                                                     "--inject", "kill:host=3@step=3", "--inject", "stop:host=5@step=6,for=2s"],
                                        timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try summary(out)
        #expect(outputs(summary) == (try expected(requests: 4, newTokens: 200)), "no request lost, tokens as in one process")
        let faults = try #require(summary["faults"] as? [String: Any])
        let injected = try #require(faults["injected"] as? [[String: Any]])
        #expect(injected.count == 2)
        for fault in injected {
            let detected = try #require(fault["detected_after_seconds"] as? Double, "\(fault)")
            #expect(detected <= 1.0, "\(fault)")
        }
        let events = try #require(faults["events"] as? [[String: Any]])
        #expect(events.contains { $0["event"] as? String == "failed_over" && ($0["resent_bytes"] as? Int ?? 0) > 0 })
        #expect(events.contains { $0["event"] as? String == "rejoined" && $0["host"] as? Int == 3 }, "the killed host is restarted and used again")
        #expect(noHostLeft(folder))
    }

    @Test func withoutReplicasTheRestartedHostServesTheWaitingExperts() throws {
        let (file, folder) = try cluster(hosts: 4, replicas: 1)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = folder + "/run"
        let result = try Subprocess.run(switchyard, ["run", "--cluster", file, "--model", "tiny", "--requests", "4", "--prompt-tokens", "5",
                                                     "--new-tokens", "12", "--max-batch", "2", "--out", out, "--quiet",
                                                     "--inject", "kill:host=1@step=4"], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try summary(out)
        #expect(outputs(summary) == (try expected(requests: 4)))
        let injected = ((summary["faults"] as? [String: Any])?["injected"] as? [[String: Any]])?.first
        #expect(injected?["recovered_after_seconds"] is Double, "\(String(describing: injected))")
        #expect(noHostLeft(folder))
    }

    @Test func anExpertWithNoHostLeftFailsTheRunClearly() throws {
        let (file, folder) = try cluster(hosts: 4, replicas: 1)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try Subprocess.run(switchyard, ["run", "--cluster", file, "--model", "tiny", "--requests", "4", "--prompt-tokens", "5",
                                                     "--new-tokens", "12", "--max-batch", "2", "--out", folder + "/run", "--quiet",
                                                     "--host-restarts", "0", "--rejoin-wait", "1", "--inject", "kill:host=2@step=2"],
                                        timeout: .seconds(120))
        #expect(result.status == 1)
        #expect(result.stderr.contains("expert host 2") && result.stderr.contains("killed by SIGKILL")
                && result.stderr.contains("no live host after waiting 1.0 seconds"), "\(result.stderr)")
        #expect(noHostLeft(folder))
    }

    @Test func aCoordinatorReadmitsAHandStartedHostThatComesBack() throws {
        let (file, folder) = try cluster(hosts: 4, replicas: 2)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func startHost(_ host: Int) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: switchyard)
            process.arguments = ["expert-host", "--cluster", file, "--host", String(host), "--model", "tiny", "--quiet"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        var hosts = try (0..<4).map(startHost)
        defer { for host in hosts where host.isRunning { kill(host.processIdentifier, SIGKILL); host.waitUntilExit() } }
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: switchyard)
        let out = folder + "/run"
        coordinator.arguments = ["coordinator", "--cluster", file, "--model", "tiny", "--requests", "4", "--prompt-tokens", "5",
                                 "--new-tokens", "600", "--max-batch", "2", "--out", out, "--quiet", "--metrics-port", "0"]
        coordinator.standardOutput = FileHandle.nullDevice
        // Its log: where it names its metrics port, and why, should it fail.
        let log = OutputWatch()
        coordinator.standardError = log.pipe
        try coordinator.run()
        // The coordinator takes a free port itself and names it in its log: a port chosen here
        // could be taken by another test's process before the coordinator binds it.
        let port = try #require(log.wait(within: 60) { text in
            text.split(separator: "\n").first { $0.hasPrefix("metrics: http://") }
                .flatMap { $0.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) } }
        }, "no metrics endpoint in the coordinator's log: \(log.output)")
        // Mid-generation (tokens are coming out), host 1 is killed; as a service manager would, it
        // is started again. Then host 2 is stopped for 2 s.
        let generating = ContinuousClock.now + .seconds(60)
        while generatedTokens(port: port) < 20, coordinator.isRunning, ContinuousClock.now < generating { usleep(100_000) }
        try #require(coordinator.isRunning, "the coordinator ended before generating")
        kill(hosts[1].processIdentifier, SIGKILL)
        hosts[1].waitUntilExit()
        usleep(500_000)
        hosts[1] = try startHost(1)
        usleep(1_000_000)
        kill(hosts[2].processIdentifier, SIGSTOP)
        usleep(2_000_000)
        kill(hosts[2].processIdentifier, SIGCONT)
        let deadline = ContinuousClock.now + .seconds(120)
        while coordinator.isRunning, ContinuousClock.now < deadline { usleep(50_000) }
        #expect(!coordinator.isRunning)
        if coordinator.isRunning { coordinator.terminate() }
        coordinator.waitUntilExit()
        #expect(coordinator.terminationStatus == 0, "\(log.output)")
        let summary = try summary(out)
        #expect(outputs(summary) == (try expected(requests: 4, newTokens: 600)))
        let events = ((summary["faults"] as? [String: Any])?["events"] as? [[String: Any]]) ?? []
        #expect(events.contains { $0["event"] as? String == "lost" && $0["host"] as? Int == 1 }, "\(events)")
        #expect(events.contains { $0["event"] as? String == "rejoined" && $0["host"] as? Int == 1 }, "\(events)")
        #expect(events.contains { $0["event"] as? String == "lost" && $0["host"] as? Int == 2 }, "the stopped host is declared lost: \(events)")
        // Each loss was declared within a second of the host's last answer, or at once when the
        // restarted process answered a dispatch meant for the one before it.
        let losses = events.filter { $0["event"] as? String == "lost" }.compactMap { $0["detail"] as? String }
        #expect(losses.allSatisfy {
            $0.contains("killed by") || $0.contains("answered nothing for 0.") || $0.contains("answered nothing for 1.0")
                || $0.contains("no longer knows this coordinator")
        }, "\(losses)")
        // The coordinator shut its hosts down at the end, the restarted one included.
        let stopBy = ContinuousClock.now + .seconds(10)
        while hosts.contains(where: \.isRunning), ContinuousClock.now < stopBy { usleep(50_000) }
        let running = hosts.filter(\.isRunning).count
        #expect(running == 0)
    }

    /// Open MPI ends the job when a rank dies; the run says so and leaves nothing behind.
    @Test(.enabled("needs mpirun", { Executables.find("mpirun") != nil }))
    func underMpirunALostRankEndsTheRunCleanly() throws {
        let (file, folder) = try cluster(hosts: 4, replicas: 2)
        let mpi = MPISession()
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            mpi.remove()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: switchyard)
        process.arguments = ["run", "--launcher", "mpirun", "--cluster", file, "--model", "tiny", "--requests", "100000", "--new-tokens", "1000",
                             "--quiet", "--out", folder + "/run"]
        process.environment = ProcessInfo.processInfo.environment.merging(mpi.environment) { $1 }
        let log = folder + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The ranks are mpi-job processes of this cluster file; rank 2 is an expert host.
        func rank(_ wanted: Int) -> Int32? {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap(Int32.init).first { pid in
                guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                      String(decoding: command, as: UTF8.self).contains("mpi-job"), String(decoding: command, as: UTF8.self).contains(file),
                      let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
                return environment.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(wanted)" }
            }
        }
        var victim: Int32?
        let started = ContinuousClock.now + .seconds(30)
        while victim == nil, ContinuousClock.now < started { victim = rank(2); usleep(100_000) }
        let pid = try #require(victim)
        usleep(1_000_000)
        kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus != 0)
        #expect(text.contains("mpirun"), "\(text)")
        usleep(500_000)
        #expect(noHostLeft(folder), "an mpi-job rank is still running")
    }


    /// `switchyard_generated_tokens_total` from the metrics endpoint, 0 while it does not answer.
    func generatedTokens(port: Int) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return 0 }
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return 0 }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let line = String(decoding: response, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("switchyard_generated_tokens_total ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }
}
