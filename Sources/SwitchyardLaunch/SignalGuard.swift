import Foundation

/// On SIGINT, SIGTERM or SIGHUP, stops every child this process started, removes the socket
/// files they leave behind, and exits with 128 + the signal. The signals are read from a dispatch
/// queue (they are ignored as signals, so children are started with `ChildProcess`, which resets
/// them). swift-service-lifecycle's `UnixSignals` does the same underneath, for an async
/// `ServiceGroup`; the launcher and its hosts are synchronous loops, so this stays plain.
public final class SignalGuard: @unchecked Sendable {
    public static let shared = SignalGuard()
    private let lock = NSLock()
    private var children: [pid_t: [String]] = [:]
    private var caught: Int32?
    private var sources: [DispatchSourceSignal] = []
    private var installed = false

    private init() {}

    /// Starts listening for the signals; before the first child is started, and idempotent.
    public func install() {
        lock.withLock {
            guard !installed else { return }
            installed = true
            for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
                Foundation.signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { [weak self] in self?.terminate(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    public var isInstalled: Bool { lock.withLock { installed } }

    /// The signal being handled, once one arrived: the run is stopping on purpose, so a child that
    /// ends now is not a failure.
    public var signalled: Int32? { lock.withLock { caught } }

    /// Watches `pid`; `files` are removed once it is gone (a host's ipc socket files).
    public func track(_ pid: pid_t, files: [String] = []) {
        install()
        lock.withLock { children[pid] = files }
    }

    public func untrack(_ pid: pid_t) { lock.withLock { _ = children.removeValue(forKey: pid) } }

    /// On the way out with an error: when a signal arrived (or arrives within `grace`, as when a
    /// service manager signals the launcher and its hosts at once and a host's death is seen
    /// first), waits for the handler to exit with 128 + the signal instead of reporting the error.
    public func yieldToSignal(within grace: Duration) {
        guard isInstalled else { return }
        let deadline = ContinuousClock.now + grace
        while signalled == nil, ContinuousClock.now < deadline { usleep(10_000) }
        guard signalled != nil else { return }
        // The handler is stopping the children and will exit; bounded, in case it cannot.
        usleep(10_000_000)
    }

    private func terminate(_ signalNumber: Int32) {
        let pids: [pid_t: [String]] = lock.withLock {
            if caught == nil { caught = signalNumber }
            return children
        }
        guard signalled == signalNumber else { return }
        for pid in pids.keys { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(2)
        var alive = Set(pids.keys)
        while !alive.isEmpty, ContinuousClock.now < deadline {
            alive = alive.filter { kill($0, 0) == 0 && !Self.isZombie($0) }
            if !alive.isEmpty { usleep(10_000) }
        }
        for pid in alive { kill(pid, SIGKILL) }
        for file in pids.values.joined() { unlink(file) }
        FileHandle.standardError.write(Data("switchyard: stopped by \(ChildProcess.signalName(signalNumber)); \(pids.count) child process(es) stopped\n".utf8))
        exit(128 + signalNumber)
    }

    /// A child that has ended but not been reaped still answers kill(pid, 0).
    static func isZombie(_ pid: pid_t) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
