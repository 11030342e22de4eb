import Foundation

/// How fast processes sharing a CPU stream expert weights from memory as a function of the tokens
/// each expert call carries (`shared_compute.weight_streaming`, measured by `topology calibrate`):
/// a CPU's multi-token kernels read weights at about half the one-token rate when every process
/// streams at once, which neither the one-token memory rate nor the in-cache FLOP rate shows.
public struct WeightStreaming: Equatable, Sendable {
    public struct Point: Equatable, Sendable {
        /// Tokens each expert call carries.
        public var tokens: Int
        /// Weight bytes a second all the node's devices together read at that many tokens a call.
        public var bytesPerSecond: Double

        public init(tokens: Int, bytesPerSecond: Double) {
            self.tokens = tokens
            self.bytesPerSecond = bytesPerSecond
        }
    }

    /// By strictly increasing `tokens`, at least one.
    public var points: [Point]

    public init(points: [Point]) {
        precondition(!points.isEmpty, "a weight-streaming curve needs a point")
        self.points = points
    }

    /// The rate at `tokens` a call: linear in tokens between neighbouring points, the first
    /// point's below it and the last point's beyond it.
    public func bytesPerSecond(tokens: Double) -> Double {
        PiecewiseLinear.value(at: tokens, points, x: { Double($0.tokens) }, y: \.bytesPerSecond)
    }

    /// Expected seconds per byte of one expert's weights on a host whose `slots` (token, expert)
    /// pairs fall evenly over its `experts` experts, counting untouched experts as 0: an expert gets
    /// k ~ Binomial(slots, 1/experts) tokens and streams its weights at the rate at k, so
    /// Σ_{k≥1} P(k) / rate(k). Past the last point every k costs the same, so the sum stops there.
    public func expectedSecondsPerByte(slots: Int, experts: Double) -> Double {
        guard slots > 0 else { return 0 }
        let e = max(1, experts), p = 1 / e, s = Double(slots)
        if p >= 1 { return 1 / bytesPerSecond(tokens: s) }
        let lastTokens = min(slots, points[points.count - 1].tokens)
        // P(k) = C(s, k) p^k (1 − p)^(s − k), in logs by P(k + 1) = P(k) · (s − k)/(k + 1) · p/(1 − p):
        // (1 − p)^s alone underflows for long prompts.
        let ratio = log(p) - log1p(-p)
        var logProbability = s * log1p(-p), below = exp(logProbability), seconds = 0.0
        for k in stride(from: 1, to: lastTokens, by: 1) {
            logProbability += log((s - Double(k - 1)) / Double(k)) + ratio
            let pk = exp(logProbability)
            below += pk
            seconds += pk / bytesPerSecond(tokens: Double(k))
        }
        // k ≥ lastTokens all stream at that rate (with fewer slots than the last point, k = slots exactly).
        return seconds + max(0, 1 - below) / bytesPerSecond(tokens: Double(lastTokens))
    }
}
