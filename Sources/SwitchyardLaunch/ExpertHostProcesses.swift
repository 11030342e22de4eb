import Logging
import Foundation
import SwitchyardProtocol

/// Expert hosts started as child processes of this one, and stopped however this process ends:
/// normally, on an error, on Ctrl-C or SIGTERM (`SignalGuard`), or when a host dies first. Their
/// ipc socket files are removed once they are gone, also after a crash or a signal.
/// With `restarts` > 0 it supervises them: a host whose process ends is started again after a
/// backoff (0.5 s, doubling), at most `restarts` times, and rejoins through a new handshake.
public final class ExpertHostProcesses: @unchecked Sendable {
    private var processes: [ChildProcess]
    private let socketFiles: [String]
    private let executable: String
    private let command: [String]
    private let indexFlag: String
    private let endpoints: [String]
    private let arguments: (Int) -> [String]
    private let restarts: Int
    private var restarted: [Int]
    private var reported: Set<pid_t> = []
    private var restartAt: [Int: ContinuousClock.Instant] = [:]
    private let lock = NSLock()
    private let logger: Logger

    /// Starts `executable command… --host K --parent-pid PID arguments(K)` for every host;
    /// `endpoints` are the hosts' ZeroMQ endpoints, whose ipc files are cleaned up.
    /// (`command` and `indexFlag` start other roles the same way: `relay --relay K`.)
    public init(hosts: Int, executable: String, command: [String] = ["expert-host"], indexFlag: String = "--host", endpoints: [String] = [],
                restarts: Int = 0, logger: Logger = .silent, arguments: @escaping (Int) -> [String]) throws {
        SignalGuard.shared.install()
        self.executable = executable
        self.command = command
        self.indexFlag = indexFlag
        self.endpoints = endpoints
        self.arguments = arguments
        self.restarts = restarts
        self.logger = logger
        restarted = Array(repeating: 0, count: hosts)
        let files = endpoints.compactMap(Self.ipcFile)
        socketFiles = files
        processes = []
        for host in 0..<hosts {
            do { processes.append(try start(host)) } catch {
                processes.forEach { $0.signal(SIGKILL); $0.wait(); SignalGuard.shared.untrack($0.pid) }
                files.forEach { unlink($0) }
                throw error
            }
        }
    }

    private func start(_ host: Int) throws -> ChildProcess {
        do {
            let process = try ChildProcess(executable: executable,
                                           arguments: command + [indexFlag, String(host), "--parent-pid", String(getpid())] + arguments(host))
            SignalGuard.shared.track(process.pid, files: endpoints.indices.contains(host) ? Self.ipcFile(endpoints[host]).map { [$0] } ?? [] : [])
            return process
        } catch {
            throw ClusterFailure("cannot start \(command == ["relay"] ? "relay" : "expert host") \(host): \(error)")
        }
    }

    public var pids: [pid_t] { lock.withLock { processes.map(\.pid) } }

    /// Hosts whose process has ended since the last call, with how it ended; starts again those
    /// whose backoff is over. None while a signal stops the run: then the hosts end because this
    /// process stops them.
    public func lostHosts() -> [(host: Int, reason: String)] {
        guard SignalGuard.shared.signalled == nil else { return [] }
        return lock.withLock {
            var lost: [(host: Int, reason: String)] = []
            for (host, process) in processes.enumerated() where !reported.contains(process.pid) {
                guard let how = process.termination else { continue }
                reported.insert(process.pid)
                lost.append((host, "its process (pid \(process.pid)) \(how) during the run"))
                if restarted[host] < restarts { restartAt[host] = .now + .milliseconds(500 << restarted[host]) }
            }
            for (host, due) in restartAt where ContinuousClock.now >= due {
                restartAt[host] = nil
                restarted[host] += 1
                SignalGuard.shared.untrack(processes[host].pid)
                if let process = try? start(host) {
                    processes[host] = process
                    logger.notice("restarted \(command == ["relay"] ? "relay" : "expert host") \(host) (pid \(process.pid), restart \(restarted[host]) of \(restarts))")
                }
            }
            return lost
        }
    }

    /// Whether host `host`'s ended process is being started again.
    public func willRestart(_ host: Int) -> Bool { lock.withLock { restartAt[host] != nil } }

    /// Sends `signal` to host `host`'s process (an injected fault).
    public func signal(_ host: Int, _ signal: Int32) {
        lock.withLock {
            guard processes.indices.contains(host) else { return }
            processes[host].signal(signal)
        }
    }

    /// Waits up to `grace` for the hosts to leave after a shutdown frame, then terminates and
    /// kills; removes their socket files once every one is gone.
    public func stop(grace: Duration = .seconds(5)) {
        let processes = lock.withLock {
            restartAt = [:]
            return self.processes
        }
        // A host stopped by a fault cannot leave until it is continued.
        for process in processes { process.signal(SIGCONT) }
        let deadline = ContinuousClock.now + grace
        while processes.contains(where: \.isRunning), ContinuousClock.now < deadline { usleep(20_000) }
        for process in processes { process.signal(SIGTERM) }
        let hard = ContinuousClock.now + .seconds(2)
        while processes.contains(where: \.isRunning), ContinuousClock.now < hard { usleep(20_000) }
        for process in processes { process.signal(SIGKILL) }
        for process in processes {
            process.wait()
            SignalGuard.shared.untrack(process.pid)
        }
        for file in socketFiles { unlink(file) }
    }

    /// The socket file of an `ipc://PATH` endpoint.
    public static func ipcFile(_ endpoint: String) -> String? {
        endpoint.hasPrefix("ipc://") ? String(endpoint.dropFirst("ipc://".count)) : nil
    }
}
