import Foundation
import SwitchyardProtocol

/// Expert hosts started as child processes of this one, and stopped however this process ends:
/// normally, on an error, on Ctrl-C or SIGTERM (`SignalGuard`), or when a host dies first. Their
/// ipc socket files are removed once they are gone, also after a crash or a signal.
public final class ExpertHostProcesses: @unchecked Sendable {
    private let processes: [ChildProcess]
    private let socketFiles: [String]

    /// Starts `executable command… --host K --parent-pid PID arguments(K)` for every host;
    /// `endpoints` are the hosts' ZeroMQ endpoints, whose ipc files are cleaned up.
    public init(hosts: Int, executable: String, command: [String] = ["expert-host"], endpoints: [String] = [],
                arguments: (Int) -> [String]) throws {
        SignalGuard.shared.install()
        let files = endpoints.compactMap(Self.ipcFile)
        var started: [ChildProcess] = []
        for host in 0..<hosts {
            do {
                let process = try ChildProcess(executable: executable,
                                               arguments: command + ["--host", String(host), "--parent-pid", String(getpid())] + arguments(host))
                SignalGuard.shared.track(process.pid, files: endpoints.indices.contains(host) ? Self.ipcFile(endpoints[host]).map { [$0] } ?? [] : [])
                started.append(process)
            } catch {
                started.forEach { $0.signal(SIGKILL); $0.wait(); SignalGuard.shared.untrack($0.pid) }
                files.forEach { unlink($0) }
                throw ClusterFailure("cannot start expert host \(host): \(error)")
            }
        }
        processes = started
        socketFiles = files
    }

    public var pids: [pid_t] { processes.map(\.pid) }

    /// Hosts whose process has ended, with how it ended. None while a signal stops the run: then
    /// the hosts end because this process stops them.
    public func lostHosts() -> [(host: Int, reason: String)] {
        guard SignalGuard.shared.signalled == nil else { return [] }
        return processes.enumerated().compactMap { host, process in
            process.termination.map { (host, "its process (pid \(process.pid)) \($0) during the run") }
        }
    }

    /// Waits up to `grace` for the hosts to leave after a shutdown frame, then terminates and
    /// kills; removes their socket files once every one is gone.
    public func stop(grace: Duration = .seconds(5)) {
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
