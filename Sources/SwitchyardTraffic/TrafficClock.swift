import Foundation

/// Wall-clock nanoseconds (CLOCK_REALTIME): the one clock the coordinator's and the hosts'
/// ledgers share. Exact between processes of one machine; across machines as good as their NTP.
public enum TrafficClock {
    @inline(__always)
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
