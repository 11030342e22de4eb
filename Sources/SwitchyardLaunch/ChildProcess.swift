import Foundation

/// A process this one started with posix_spawn, in a process group of its own, with every signal
/// at its default disposition and none blocked, whatever this process has set up for itself
/// (`SignalGuard` ignores SIGINT and SIGTERM to read them from a queue; an ignored signal would
/// otherwise stay ignored across exec, and a host would survive a direct SIGTERM). Its own group
/// keeps a terminal's Ctrl-C for the launcher, which then stops it: no host dies first and is
/// taken for a crash.
public final class ChildProcess: @unchecked Sendable {
    /// How a child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case killed(signal: Int32)

        public var description: String {
            switch self {
            case let .exited(status): "exited with status \(status)"
            case let .killed(signal): "killed by \(ChildProcess.signalName(signal))"
            }
        }
    }

    public let pid: pid_t
    private let lock = NSLock()
    private var ended: Termination?

    /// Starts `executable` with `arguments`, standard input from /dev/null, the environment inherited.
    public init(executable: String, arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else { throw LaunchFailure("cannot start \(executable): \(String(cString: strerror(status)))") }
        self.pid = pid
    }

    /// How it ended, or nil while it runs; reaps it once it has.
    public var termination: Termination? {
        lock.withLock {
            if ended == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { ended = Self.termination(status) }
            }
            return ended
        }
    }

    public var isRunning: Bool { termination == nil }

    /// Blocks until it has ended.
    @discardableResult
    public func wait() -> Termination {
        while true {
            if let ended = termination { return ended }
            var status: Int32 = 0
            let result = waitpid(pid, &status, 0)
            if result == pid {
                return lock.withLock {
                    ended = Self.termination(status)
                    return ended!
                }
            }
            // EINTR, or reaped by `termination` on another thread meanwhile (checked again above).
            if result < 0, errno == ECHILD, termination == nil {
                return lock.withLock {
                    ended = .exited(-1)
                    return ended!
                }
            }
        }
    }

    public func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }

    static func termination(_ status: Int32) -> Termination {
        // WIFEXITED / WTERMSIG as glibc defines them; the macros are not imported into Swift.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: signal)
    }

    public static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT",
                                      SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGHUP: "SIGHUP", SIGTRAP: "SIGTRAP", SIGPIPE: "SIGPIPE"]
        return names[number] ?? "signal \(number)"
    }

    /// This process's own executable, which the hosts and ranks it starts run.
    public static func currentExecutable() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}
