import Prometheus
import SwitchyardMetrics

/// `GET /metrics`: the run's exchange metrics (`RunMetrics`: bytes and tokens per layer and host,
/// expert load, step and exchange latency, generated tokens) and the endpoint's own: requests by
/// outcome, prompt tokens, sequences running and waiting, time to first token and request
/// latency. Counters and gauges are safe from any thread; `run` only from the model thread.
public final class ServingMetrics: @unchecked Sendable {
    public let run = RunMetrics()
    private let outcomes: [Outcome: Counter]
    private let promptTokens: Counter
    private let running: Gauge
    private let waiting: Gauge
    private let firstToken: DurationHistogram
    private let latency: DurationHistogram

    /// A request's latency spans seconds (long generations), not a step's milliseconds.
    static let requestBuckets: [Duration] = [.milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                             .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]

    public enum Outcome: String, CaseIterable, Sendable {
        /// Answered to the last token.
        case completed
        /// The client went away before its answer was complete.
        case cancelled
        /// Refused: a bad request (400), an unknown model (404), a full queue (503).
        case rejected
        /// Accepted, then failed by the server: a cluster failure or a shutdown.
        case failed
    }

    public init() {
        let registry = run.registry
        var outcomes: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            outcomes[outcome] = registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "switchyard", subsystem: "serve", metricName: "requests", unitName: "total",
                                                 helpText: "Completion requests by how they ended."),
                labels: [("outcome", outcome.rawValue)])
        }
        self.outcomes = outcomes
        promptTokens = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "switchyard", subsystem: "serve", metricName: "prompt_tokens",
                                                                             unitName: "total", helpText: "Prompt tokens of accepted requests."))
        running = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "switchyard", subsystem: "serve", metricName: "running",
                                                                      unitName: "sequences", helpText: "Sequences in the batch."))
        waiting = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "switchyard", subsystem: "serve", metricName: "waiting",
                                                                      unitName: "requests", helpText: "Requests queued for room in the batch."))
        firstToken = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "switchyard", subsystem: "serve", metricName: "time_to_first_token", unitName: "seconds",
                                             helpText: "From a request's arrival to its first generated token."),
            buckets: Self.requestBuckets)
        latency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "switchyard", subsystem: "serve", metricName: "request", unitName: "seconds",
                                             helpText: "From a request's arrival to its last generated token."),
            buckets: Self.requestBuckets)
    }

    public func count(_ outcome: Outcome) { outcomes[outcome]?.increment() }
    public func accepted(promptTokens n: Int) { promptTokens.increment(by: Int64(n)) }
    public func occupancy(running r: Int, waiting w: Int) {
        running.set(Int64(r))
        waiting.set(Int64(w))
    }
    public func firstToken(after d: Duration) { firstToken.record(d) }
    public func completed(after d: Duration) { latency.record(d) }

    public func exposition() -> String { run.exposition() }
}
