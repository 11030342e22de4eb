/// A moment on the clock the protocol is driven by, in nanoseconds: real time in a process
/// (`TrafficClock`, so the ledger's times are the protocol's), virtual time in the embedded harness.
/// The sessions never read a clock; every event brings its moment.
public struct ProtocolTime: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func < (a: ProtocolTime, b: ProtocolTime) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (time: ProtocolTime, duration: Duration) -> ProtocolTime {
        ProtocolTime(nanoseconds: time.nanoseconds &+ duration.nanoseconds)
    }

    public static func - (a: ProtocolTime, b: ProtocolTime) -> Duration { .nanoseconds(a.nanoseconds &- b.nanoseconds) }

    public var description: String { "t=\(nanoseconds)ns" }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at Int64's range.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
