import Foundation

/// A signal's request that a run stop at its next step boundary, and the run's answer that its
/// directory is written. `SignalGuard` calls `request` from its handler and waits there (bounded)
/// for `finish`, so the coordinator writes summary.json (`"interrupted": true`) and its traffic and
/// shuts the hosts down before the handler stops what is left and exits 128 + the signal.
public final class RunInterruption: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?
    private var finished = false
    private let done = DispatchSemaphore(value: 0)
    /// How long a signal waits for the run to reach a step boundary and write its directory.
    public let grace: Duration

    public init(grace: Duration = .seconds(30)) { self.grace = grace }

    /// Registers with `SignalGuard`: from now on a signal asks this run to stop.
    public static func installed(grace: Duration = .seconds(30)) -> RunInterruption {
        let interruption = RunInterruption(grace: grace)
        SignalGuard.shared.onSignal { interruption.request($0) }
        return interruption
    }

    /// The signal that asked the run to stop; nil while none did.
    public var requested: Int32? { lock.withLock { signal } }

    /// Asks the run to stop and waits until it has finished, or `grace` has passed.
    public func request(_ signalNumber: Int32) {
        let wait = lock.withLock { () -> Bool in
            if signal == nil { signal = signalNumber }
            return !finished
        }
        guard wait else { return }
        let seconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) * 1e-18
        _ = done.wait(timeout: .now() + seconds)
    }

    /// The run has written what it will write (interrupted or not): a waiting signal goes on.
    public func finish() {
        let first = lock.withLock { () -> Bool in
            defer { finished = true }
            return !finished
        }
        if first { done.signal() }
    }
}

/// Thrown once an interrupted run has written its directory: the caller yields to the signal
/// handler, which exits 128 + the signal.
public struct RunInterrupted: Error, CustomStringConvertible {
    public var signal: Int32
    public var directory: URL
    public var description: String { "stopped by \(ChildProcess.signalName(signal)); \(directory.path) holds what ran (summary.json says interrupted)" }
}
