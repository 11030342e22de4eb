import Prometheus
import SwitchyardTraffic

/// The run's faults as Prometheus metrics, brought up to the fault log (summary.json's `faults`,
/// built from the coordinator's host events) after each step: hosts lost and rejoined, bytes sent
/// again to other replicas, and how long each injected fault took to be detected.
/// Only the coordinator's thread calls `update`.
public final class FaultMetrics: @unchecked Sendable {
    private let lost: Counter
    private let rejoined: Counter
    private let resentBytes: Counter
    private let detection: DurationHistogram
    /// Events of the log already counted (the log only grows).
    private var countedEvents = 0
    /// Injected faults whose detection has been recorded, by their place in the log.
    private var detected: Set<Int> = []

    static let detectionBuckets: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .milliseconds(750),
                                               .seconds(1), .milliseconds(1500), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]

    public init(registry: PrometheusCollectorRegistry) {
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "switchyard", metricName: name, unitName: "total", helpText: help))
        }
        lost = counter("hosts_lost", "Expert hosts the coordinator declared lost (process ended, link dropped, or silent for the death window).")
        rejoined = counter("hosts_rejoined", "Lost expert hosts that answered again as a new incarnation and were used again.")
        resentBytes = counter("failover_resent_bytes", "Wire bytes of dispatches sent again to other replicas after a host was lost.")
        detection = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "switchyard", metricName: "fault_detection", unitName: "seconds",
                                             helpText: "From an injected fault to the coordinator declaring its host lost."),
            buckets: Self.detectionBuckets)
    }

    /// Counts what the log holds beyond what was counted before; nil (no faults yet) changes nothing.
    public func update(from faults: RunSummary.Faults?) {
        guard let faults else { return }
        for event in faults.events.dropFirst(countedEvents) {
            switch event.event {
            case "lost": lost.increment()
            case "rejoined": rejoined.increment()
            case "failed_over": resentBytes.increment(by: Int64(max(0, event.resentBytes)))
            default: break
            }
        }
        countedEvents = max(countedEvents, faults.events.count)
        for (i, fault) in faults.injected.enumerated() where !detected.contains(i) {
            guard let seconds = fault.detectedAfterSeconds, seconds.isFinite, seconds >= 0 else { continue }
            detection.record(.nanoseconds(Int64(seconds * 1e9)))
            detected.insert(i)
        }
    }
}
