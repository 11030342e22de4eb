import Foundation
import SwitchyardRuntime
import SwitchyardTraffic

/// Does the launcher's part of `--inject`: kills or stops a host's process when the fault's step
/// begins (and continues a stopped one after its time), and notes when each fault began.
public final class FaultInjector: @unchecked Sendable {
    public let faults: [InjectedFault]
    let processes: ExpertHostProcesses
    private let lock = NSLock()
    private var began: [(fault: InjectedFault, at: Int64)] = []

    public init(faults: [InjectedFault], processes: ExpertHostProcesses) {
        self.faults = faults
        self.processes = processes
    }

    /// Faults that have begun, with their start on the ledger's clock.
    public var done: [(fault: InjectedFault, at: Int64)] { lock.withLock { began } }

    /// Called as workload step `step` (1-based) begins; link faults count from step 1.
    public func begin(step: Int) {
        for fault in faults where fault.step == step || (fault.step == nil && step == 1) {
            switch fault {
            case let .kill(host, _):
                processes.signal(host, SIGKILL)
            case let .stop(host, _, duration):
                processes.signal(host, SIGSTOP)
                let processes = self.processes
                DispatchQueue.global().asyncAfter(deadline: .now() + Double(duration.components.seconds)
                                                  + Double(duration.components.attoseconds) * 1e-18) { processes.signal(host, SIGCONT) }
            case .delay, .drop:
                break
            }
            lock.withLock { began.append((fault, TrafficClock.now())) }
        }
    }
}
