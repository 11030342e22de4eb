import Prometheus
import SwitchyardTraffic

/// A run's Prometheus metrics, fed from the coordinator's traffic recorder after each step:
/// bytes and tokens per layer, host and direction, and tokens per expert (counters), and
/// step and exchange latency (histograms). Only the coordinator's thread calls `update`.
public final class RunMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private var seen = 0
    private var bytes: [Key: Counter] = [:]
    private var tokens: [Key: Counter] = [:]
    /// Per (layer, expert): the counter and the recorder's total it has been brought up to.
    private var experts: [Int: (counter: Counter, counted: Int)] = [:]
    private let steps: DurationHistogram
    private let exchanges: DurationHistogram
    private let generated: Counter
    private var exchangeStart: (id: UInt64, start: Int64, end: Int64)?

    struct Key: Hashable {
        var layer: Int32
        var host: Int32
        var kind: TrafficRecord.Kind
    }

    static let latencyBuckets: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
                                             .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                             .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]

    public init() {
        steps = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "switchyard", metricName: "step", unitName: "seconds", helpText: "Wall time of one workload step."),
            buckets: Self.latencyBuckets)
        exchanges = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "switchyard", metricName: "exchange", unitName: "seconds",
                                             helpText: "One layer's expert exchange: first dispatch sent to last combine received."),
            buckets: Self.latencyBuckets)
        generated = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "switchyard", metricName: "generated_tokens", unitName: "total",
                                                                          helpText: "Tokens generated."))
    }

    /// Takes in the records added since the last call, the expert loads and one finished step.
    public func update(from recorder: TrafficRecorder, stepSeconds: Double?, generatedTokens: Int) {
        let records = recorder.records
        while seen < records.count {
            let r = records[seen]
            seen += 1
            let key = Key(layer: r.layer, host: r.host, kind: r.kind)
            counter(&bytes, key, name: "bytes", help: "Wire bytes of dispatch and combine frames.").increment(by: r.wireBytes)
            counter(&tokens, key, name: "tokens", help: "Activation rows sent to (dispatch) or received from (combine) an expert host.").increment(by: Int64(r.tokens))
            observeExchange(r)
        }
        for layer in 0..<recorder.context.layers {
            for (expert, n) in recorder.expertTokens(layer: layer).enumerated() where n > 0 {
                countExpertLoad(layer: layer, expert: expert, total: n)
            }
        }
        if let stepSeconds { steps.record(.nanoseconds(Int64(stepSeconds * 1e9))) }
        generated.increment(by: Int64(generatedTokens))
    }

    /// An exchange's records arrive together; its window closes when the next exchange begins.
    private func observeExchange(_ r: TrafficRecord) {
        if let open = exchangeStart, open.id != r.exchange {
            if open.end > open.start { exchanges.record(.nanoseconds(open.end - open.start)) }
            exchangeStart = nil
        }
        var window = exchangeStart ?? (r.exchange, Int64.max, 0)
        if r.kind == .dispatch, r.sendNanos > 0 { window.start = min(window.start, r.sendNanos) }
        if r.kind == .combine { window.end = max(window.end, r.receiveNanos) }
        exchangeStart = window
    }

    private func counter(_ table: inout [Key: Counter], _ key: Key, name: String, help: String) -> Counter {
        if let c = table[key] { return c }
        let c = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "switchyard", subsystem: "exchange", metricName: name, unitName: "total", helpText: help),
                                     labels: [("layer", String(key.layer)), ("host", String(key.host)), ("direction", key.kind.name)])
        table[key] = c
        return c
    }

    /// The recorder keeps running totals; the counter goes up by what is new since the last update,
    /// so `rate()` over it is tokens per second routed to the expert.
    private func countExpertLoad(layer: Int, expert: Int, total: Int) {
        let id = layer << 20 | expert
        var entry = experts[id] ?? (registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "switchyard", metricName: "expert_load_tokens", unitName: "total",
                                             helpText: "Tokens routed to an expert so far in the run."),
            labels: [("layer", String(layer)), ("expert", String(expert))]), 0)
        if total > entry.counted {
            entry.counter.increment(by: Int64(total - entry.counted))
            entry.counted = total
        }
        experts[id] = entry
    }

    /// The coordinator replaced its recorder with an empty one (a server does, so records do not
    /// pile up): read the new one from its start.
    public func recorderReplaced() { seen = 0 }

    public func exposition() -> String { registry.emitToString() }
}
