import Foundation
import Testing
import SwitchyardLaunch

/// Children start as if from a shell: default signal dispositions, nothing blocked, their own group.
@Suite(.serialized) struct ChildProcessTests {
    /// Bits of a signal mask line of /proc/PID/status ("SigIgn:", "SigBlk:").
    func mask(_ field: String, of pid: pid_t) throws -> UInt64 {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(field) })
        return try #require(UInt64(line.split(separator: "\t").last!.trimmingCharacters(in: .whitespaces), radix: 16))
    }

    @Test func aChildDoesNotInheritIgnoredOrBlockedSignals() throws {
        // SIGUSR2 ignored and SIGURG blocked here, as SignalGuard does with SIGTERM; neither reaches the child.
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGURG)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
        pthread_sigmask(SIG_SETMASK, &old, nil)
        defer { child.signal(SIGKILL); child.wait() }
        #expect(try mask("SigIgn:", of: getpid()) & (1 << (UInt64(SIGUSR2) - 1)) != 0)
        #expect(try mask("SigIgn:", of: child.pid) & (1 << (UInt64(SIGUSR2) - 1)) == 0)
        #expect(try mask("SigBlk:", of: child.pid) == 0)
        #expect(getpgid(child.pid) == child.pid)
        #expect(child.isRunning)
        child.signal(SIGTERM)
        #expect(child.wait() == .killed(signal: SIGTERM))
        #expect(child.termination?.description == "killed by SIGTERM")
    }

    @Test func anExitStatusIsReportedAsSuch() throws {
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exit 3"])
        #expect(child.wait() == .exited(3) && child.wait().description == "exited with status 3")
        #expect(throws: LaunchFailure.self) { try ChildProcess(executable: "/nonexistent/program", arguments: []) }
    }

    @Test func hostProcessesAreReportedLostAndTheirSocketFilesRemoved() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-hosts-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let endpoints = (0..<3).map { "ipc://\(folder.path)/h\($0)" }
        // Stand-ins for hosts: each leaves a socket file behind, as a killed ZeroMQ host does.
        for endpoint in endpoints { _ = FileManager.default.createFile(atPath: ExpertHostProcesses.ipcFile(endpoint)!, contents: nil) }
        let hosts = try ExpertHostProcesses(hosts: 3, executable: "/bin/sh", command: ["-c", "sleep 30", "host"], endpoints: endpoints) { _ in [] }
        #expect(hosts.lostHosts().isEmpty)
        kill(hosts.pids[1], SIGKILL)
        let deadline = ContinuousClock.now + .seconds(5)
        var lost = hosts.lostHosts()
        while lost.isEmpty, ContinuousClock.now < deadline {
            usleep(10_000)
            lost = hosts.lostHosts()
        }
        #expect(lost.map(\.host) == [1] && lost.first?.reason.contains("killed by SIGKILL") == true, "\(lost)")
        // Each loss is reported once; without restarts the host stays gone.
        #expect(hosts.lostHosts().isEmpty)
        #expect(!hosts.willRestart(1))
        hosts.stop(grace: .zero)
        #expect(hosts.pids.allSatisfy { kill($0, 0) != 0 })
        #expect(endpoints.allSatisfy { !FileManager.default.fileExists(atPath: ExpertHostProcesses.ipcFile($0)!) })
        #expect(ExpertHostProcesses.ipcFile("tcp://127.0.0.1:5555") == nil)
    }
}

extension ChildProcessTests {
    @Test func aDeadHostIsStartedAgainAfterItsBackoff() throws {
        let hosts = try ExpertHostProcesses(hosts: 2, executable: "/bin/sh", command: ["-c", "sleep 30", "host"], restarts: 1) { _ in [] }
        defer { hosts.stop(grace: .zero) }
        let first = hosts.pids[0]
        kill(first, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(5)
        var lost = hosts.lostHosts()
        while lost.isEmpty, ContinuousClock.now < deadline {
            usleep(10_000)
            lost = hosts.lostHosts()
        }
        #expect(lost.map(\.host) == [0])
        #expect(hosts.willRestart(0))
        // After the 0.5 s backoff a new process takes its place; the restart budget is then spent.
        while hosts.pids[0] == first, ContinuousClock.now < deadline {
            usleep(20_000)
            _ = hosts.lostHosts()
        }
        #expect(hosts.pids[0] != first && kill(hosts.pids[0], 0) == 0)
        kill(hosts.pids[0], SIGKILL)
        while hosts.lostHosts().isEmpty, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(!hosts.willRestart(0))
    }
}
