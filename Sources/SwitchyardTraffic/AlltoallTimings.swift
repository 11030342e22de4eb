/// The all-to-all benchmark's rows, read from the coordinator's and the hosts' merged records:
/// per exchange, dispatch = first dispatch sent → last dispatch received by a host; combine =
/// first combine sent by a host → last combine received; round trip = first sent → last received.
/// Each row is the median over its timed exchanges (records whose step is the row's index).
public struct AlltoallRow: Sendable, Equatable {
    public var tokens: Int
    public var exchanges: Int
    /// Bytes of one exchange's dispatch frames (all hosts), and of its combine frames.
    public var dispatchBytes: Int
    public var combineBytes: Int
    public var dispatchSeconds: Double
    public var combineSeconds: Double
    public var roundTripSeconds: Double

    public var dispatchAlgorithmBandwidth: Double { dispatchSeconds > 0 ? Double(dispatchBytes) / dispatchSeconds : 0 }
    public var combineAlgorithmBandwidth: Double { combineSeconds > 0 ? Double(combineBytes) / combineSeconds : 0 }

    /// Rows in the order of `tokenCounts`, from merged records (both ends' times filled in).
    public static func rows(_ records: [TrafficRecord], tokenCounts: [Int]) -> [AlltoallRow] {
        var byExchange: [UInt64: [TrafficRecord]] = [:]
        for r in records where r.step >= 0 { byExchange[r.exchange, default: []].append(r) }
        var perRow: [Int: [(d: Int, c: Int, dt: Double, ct: Double, rt: Double)]] = [:]
        for group in byExchange.values {
            let dispatches = group.filter { $0.kind == .dispatch }, combines = group.filter { $0.kind == .combine }
            guard let first = dispatches.map(\.sendNanos).min(), let arrived = dispatches.map(\.receiveNanos).max(),
                  let answered = combines.map(\.sendNanos).min(), let last = combines.map(\.receiveNanos).max(),
                  first > 0, answered > 0, dispatches.allSatisfy({ $0.receiveNanos > 0 }) else { continue }
            perRow[Int(group[0].step), default: []].append((
                dispatches.reduce(0) { $0 + Int($1.wireBytes) }, combines.reduce(0) { $0 + Int($1.wireBytes) },
                Double(arrived - first) * 1e-9, Double(last - answered) * 1e-9, Double(last - first) * 1e-9))
        }
        return tokenCounts.enumerated().compactMap { row, tokens in
            guard let samples = perRow[row], !samples.isEmpty else { return nil }
            func median(_ values: [Double]) -> Double { let s = values.sorted(); return s[s.count / 2] }
            return AlltoallRow(tokens: tokens, exchanges: samples.count,
                               dispatchBytes: samples.map(\.d).reduce(0, +) / samples.count, combineBytes: samples.map(\.c).reduce(0, +) / samples.count,
                               dispatchSeconds: median(samples.map(\.dt)), combineSeconds: median(samples.map(\.ct)), roundTripSeconds: median(samples.map(\.rt)))
        }
    }
}
