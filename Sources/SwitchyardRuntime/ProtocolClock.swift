import SwitchyardProtocol
import SwitchyardTraffic

/// Where a driver reads the time its sessions are told: the real clock in a process, a virtual
/// one in the embedded harness.
public protocol ProtocolClock: AnyObject {
    func now() -> ProtocolTime
}

/// The ledger's clock (`TrafficClock`), so protocol times and traffic records agree.
public final class SystemProtocolClock: ProtocolClock {
    public init() {}
    public func now() -> ProtocolTime { ProtocolTime(nanoseconds: TrafficClock.now()) }
}
