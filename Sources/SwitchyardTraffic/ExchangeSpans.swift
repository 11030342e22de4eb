/// Each exchange's span on the coordinator's clock, from its first dispatch sent to its last
/// combine received, and the idle gap before it: how long the coordinator had no exchange in
/// flight before sending it (its hosts asleep), read from the run's own times.
public struct ExchangeSpans: Sendable {
    /// Exchange → (first dispatch sent, last combine received), nanoseconds; either may be missing
    /// (`Int64.max` / `Int64.min`) in a host's ledger.
    public let spans: [UInt64: (first: Int64, last: Int64)]

    public init(_ records: [TrafficRecord]) {
        var spans: [UInt64: (first: Int64, last: Int64)] = [:]
        for r in records {
            if r.kind == .dispatch, r.sendNanos > 0 {
                spans[r.exchange, default: (.max, .min)].first = min(spans[r.exchange, default: (.max, .min)].first, r.sendNanos)
            } else if r.kind == .combine, r.receiveNanos > 0 {
                spans[r.exchange, default: (.max, .min)].last = max(spans[r.exchange, default: (.max, .min)].last, r.receiveNanos)
            }
        }
        self.spans = spans
    }

    /// Seconds of every complete span, summed: the run's exchanges in flight.
    public var inFlightSeconds: Double {
        spans.values.reduce(0.0) { $0 + ($1.last > $1.first && $1.first != .max ? Double($1.last - $1.first) : 0) } * 1e-9
    }

    /// Per exchange with a first dispatch: seconds from the last combine received of the exchanges
    /// sent before it to its own first dispatch; 0 when one of them was still in flight (ping-pong
    /// micro-batches overlap); infinity for the run's first exchange (idle since the handshake).
    public var idleSecondsBefore: [UInt64: Double] {
        let started = spans.filter { $0.value.first != .max }.sorted { ($0.value.first, $0.key) < ($1.value.first, $1.key) }
        var gaps: [UInt64: Double] = [:]
        var lastEnd: Int64?
        for (exchange, span) in started {
            gaps[exchange] = lastEnd.map { max(0, Double(span.first - $0) * 1e-9) } ?? .infinity
            if span.last != .min { lastEnd = max(lastEnd ?? .min, span.last) }
        }
        return gaps
    }
}
