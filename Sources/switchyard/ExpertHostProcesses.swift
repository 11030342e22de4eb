import Foundation
import SwitchyardCluster
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport

/// Expert hosts started as child processes of this one, and stopped however this process ends:
/// normally, on an error, on Ctrl-C or SIGTERM (`SignalGuard`), or when a host dies first.
/// With `restarts` > 0 it supervises them: a host whose process ends is started again after a
/// backoff (0.5 s, doubling), at most `restarts` times, and rejoins through a new handshake.
final class ExpertHostProcesses: @unchecked Sendable {
    private var processes: [Process]
    private let executable: URL
    private let command: [String]
    private let arguments: (Int) -> [String]
    private let restarts: Int
    private var restarted: [Int]
    private var reported: Set<pid_t> = []
    private var restartAt: [Int: ContinuousClock.Instant] = [:]

    /// Starts `switchyard expert-host --host K` (or another `command`) for every host of the cluster file.
    init(hosts: Int, command: [String] = ["expert-host"], restarts: Int = 0, arguments: @escaping (Int) -> [String]) throws {
        executable = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        self.command = command
        self.arguments = arguments
        self.restarts = restarts
        restarted = Array(repeating: 0, count: hosts)
        processes = []
        for host in 0..<hosts {
            do { processes.append(try start(host)) } catch {
                processes.forEach { $0.terminate() }
                throw error
            }
        }
    }

    private func start(_ host: Int) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = command + ["--host", String(host), "--parent-pid", String(getpid())] + arguments(host)
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ClusterFailure("cannot start expert host \(host): \(error)")
        }
        SignalGuard.shared.track(process.processIdentifier)
        return process
    }

    /// Hosts whose process has ended since the last call, with how it ended; restarts those due.
    func lostHosts() -> [(host: Int, reason: String)] {
        var lost: [(host: Int, reason: String)] = []
        for (host, process) in processes.enumerated() where !process.isRunning && !reported.contains(process.processIdentifier) {
            reported.insert(process.processIdentifier)
            SignalGuard.shared.untrack(process.processIdentifier)
            let status = process.terminationStatus
            let how = process.terminationReason == .uncaughtSignal
                ? "killed by \(Self.signalName(status))" : "exited with status \(status)"
            lost.append((host, "its process (pid \(process.processIdentifier)) \(how) during the run"))
            if restarted[host] < restarts {
                restartAt[host] = .now + .milliseconds(500 << restarted[host])
            }
        }
        for (host, due) in restartAt where ContinuousClock.now >= due {
            restartAt[host] = nil
            restarted[host] += 1
            if let process = try? start(host) {
                processes[host] = process
                FileHandle.standardError.write(Data("switchyard: restarted expert host \(host) (pid \(process.processIdentifier), restart \(restarted[host]) of \(restarts))\n".utf8))
            }
        }
        return lost
    }

    /// Whether host `host`'s ended process is being started again.
    func willRestart(_ host: Int) -> Bool { restartAt[host] != nil }

    /// Sends `signal` to host `host`'s process (an injected fault).
    func signal(_ host: Int, _ signal: Int32) {
        guard processes.indices.contains(host), processes[host].isRunning else { return }
        kill(processes[host].processIdentifier, signal)
    }

    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT",
                                      SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGHUP: "SIGHUP", SIGTRAP: "SIGTRAP"]
        return names[number] ?? "signal \(number)"
    }

    /// Waits up to `grace` for the hosts to leave after a shutdown frame, then terminates and kills.
    func stop(grace: Duration = .seconds(5)) {
        restartAt = [:]
        // A host stopped by a fault cannot leave until it is continued.
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGCONT) }
        let deadline = ContinuousClock.now + grace
        while processes.contains(where: \.isRunning), ContinuousClock.now < deadline { usleep(20_000) }
        // A stopped host cannot leave until it is continued.
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGCONT) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let hard = ContinuousClock.now + .seconds(2)
        while processes.contains(where: \.isRunning), ContinuousClock.now < hard { usleep(20_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes {
            process.waitUntilExit()
            SignalGuard.shared.untrack(process.processIdentifier)
        }
    }
}

/// On SIGINT or SIGTERM, kills every tracked child before this process exits.
final class SignalGuard: @unchecked Sendable {
    static let shared = SignalGuard()
    private let lock = NSLock()
    private var children: Set<pid_t> = []
    private var sources: [DispatchSourceSignal] = []

    private init() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.terminate(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    func track(_ pid: pid_t) { lock.withLock { _ = children.insert(pid) } }
    func untrack(_ pid: pid_t) { lock.withLock { _ = children.remove(pid) } }

    private func terminate(_ signalNumber: Int32) {
        let pids = lock.withLock { children }
        for pid in pids { kill(pid, SIGTERM) }
        usleep(300_000)
        for pid in pids { kill(pid, SIGKILL) }
        FileHandle.standardError.write(Data("switchyard: stopped by signal \(signalNumber); \(pids.count) expert host(s) stopped\n".utf8))
        exit(128 + signalNumber)
    }
}
