/// A run's steps laid end to end from the workload's start (steps follow each other without gaps),
/// so the tokens generated in any window of the run can be read off: how fast the cluster went
/// before a fault and while it lasted.
public struct StepTimeline: Sendable, Equatable {
    /// Each step's start and end, seconds from the first step's start, and its tokens.
    public private(set) var spans: [(start: Double, end: Double, tokens: Int)] = []

    public init(_ steps: [TrafficStep]) {
        var clock = 0.0
        for step in steps.sorted(by: { $0.step < $1.step }) where step.seconds.isFinite && step.seconds >= 0 {
            spans.append((clock, clock + step.seconds, max(0, step.tokens)))
            clock += step.seconds
        }
    }

    public static func == (a: StepTimeline, b: StepTimeline) -> Bool {
        a.spans.elementsEqual(b.spans) { $0.start == $1.start && $0.end == $1.end && $0.tokens == $1.tokens }
    }

    public var seconds: Double { spans.last?.end ?? 0 }

    /// Tokens per second over `[from, to)`: a step partly inside counts in proportion to the part
    /// of it inside. Nil for an empty window or one outside the run.
    public func tokensPerSecond(from: Double, to: Double) -> Double? {
        let start = max(0, from), end = min(seconds, to)
        guard end > start else { return nil }
        var tokens = 0.0
        for span in spans where span.end > start && span.start < end {
            let length = span.end - span.start
            let inside = min(span.end, end) - max(span.start, start)
            tokens += length > 0 ? Double(span.tokens) * inside / length : Double(span.tokens)
        }
        return tokens / (end - start)
    }

    /// Throughput before and during a fault at `at` that lasted `lasting` seconds: "before" is the
    /// window of the same length just before it (or all of the run before it, when shorter).
    public func aroundFault(at: Double, lasting: Double) -> (before: Double, during: Double)? {
        let length = max(lasting, 1e-3)
        guard let before = tokensPerSecond(from: at - length, to: at), let during = tokensPerSecond(from: at, to: at + length) else { return nil }
        return (before, during)
    }
}
