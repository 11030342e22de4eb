import Foundation
import SwitchyardCluster
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport

/// Expert hosts started as child processes of this one, and stopped however this process ends:
/// normally, on an error, on Ctrl-C or SIGTERM (`SignalGuard`), or when a host dies first.
final class ExpertHostProcesses: @unchecked Sendable {
    private let processes: [Process]

    /// Starts `switchyard expert-host --host K` (or another `command`) for every host of the cluster file.
    init(hosts: Int, command: [String] = ["expert-host"], arguments: (Int) -> [String]) throws {
        let executable = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        var started: [Process] = []
        for host in 0..<hosts {
            let process = Process()
            process.executableURL = executable
            process.arguments = command + ["--host", String(host), "--parent-pid", String(getpid())] + arguments(host)
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch {
                started.forEach { $0.terminate() }
                throw ClusterFailure("cannot start expert host \(host): \(error)")
            }
            SignalGuard.shared.track(process.processIdentifier)
            started.append(process)
        }
        processes = started
    }

    /// Hosts whose process has ended, with how it ended.
    func lostHosts() -> [(host: Int, reason: String)] {
        processes.enumerated().filter { !$0.element.isRunning }.map { host, process in
            let status = process.terminationStatus
            let how = process.terminationReason == .uncaughtSignal
                ? "killed by \(Self.signalName(status))" : "exited with status \(status)"
            return (host, "its process (pid \(process.processIdentifier)) \(how) during the run")
        }
    }

    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT",
                                      SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGHUP: "SIGHUP", SIGTRAP: "SIGTRAP"]
        return names[number] ?? "signal \(number)"
    }

    /// Waits up to `grace` for the hosts to leave after a shutdown frame, then terminates and kills.
    func stop(grace: Duration = .seconds(5)) {
        let deadline = ContinuousClock.now + grace
        while processes.contains(where: \.isRunning), ContinuousClock.now < deadline { usleep(20_000) }
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
