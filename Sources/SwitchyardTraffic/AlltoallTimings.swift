/// What the all-to-all benchmark's coordinator notes of one exchange besides its traffic records.
public struct AlltoallExchangeNote: Sendable, Equatable {
    public var exchange: UInt64
    /// Index of the sweep's token count the exchange belongs to.
    public var row: Int
    /// False for warm-up exchanges.
    public var timed: Bool
    /// When the coordinator's last dispatch send returned (`TrafficClock`): no combine phase before it.
    public var dispatchesLeftNanos: Int64
    /// Values of the exchange's combines that differ from what the echo rule predicts.
    public var wrongValues: Int

    public init(exchange: UInt64, row: Int, timed: Bool, dispatchesLeftNanos: Int64, wrongValues: Int) {
        self.exchange = exchange
        self.row = row
        self.timed = timed
        self.dispatchesLeftNanos = dispatchesLeftNanos
        self.wrongValues = wrongValues
    }
}

/// The moments that bound one exchange's phases, from both ends' merged records:
/// dispatch = first dispatch handed to the transport → last dispatch received by a host;
/// combine = the later of the coordinator's last dispatch leaving and the first combine sent by a
/// host → last combine received, so the combine never includes the tail of the dispatch phase;
/// round trip = first dispatch handed over → last combine received.
public struct AlltoallExchangeTimes: Sendable, Equatable {
    public var firstDispatchSent: Int64
    public var dispatchesLeft: Int64
    public var lastDispatchReceived: Int64
    public var firstCombineSent: Int64
    public var lastCombineReceived: Int64

    /// Nil when a moment is missing: a dispatch or combine without both ends' times.
    public init?(records: some Sequence<TrafficRecord>, dispatchesLeftNanos: Int64) {
        var firstSent = Int64.max, lastArrived = Int64.min, firstAnswered = Int64.max, lastBack = Int64.min
        var dispatches = 0, combines = 0
        for r in records {
            guard r.sendNanos > 0, r.receiveNanos > 0 else { return nil }
            switch r.kind {
            case .dispatch:
                dispatches += 1
                firstSent = min(firstSent, r.sendNanos)
                lastArrived = max(lastArrived, r.receiveNanos)
            case .combine:
                combines += 1
                firstAnswered = min(firstAnswered, r.sendNanos)
                lastBack = max(lastBack, r.receiveNanos)
            }
        }
        guard dispatches > 0, combines > 0, dispatchesLeftNanos > 0 else { return nil }
        firstDispatchSent = firstSent
        dispatchesLeft = dispatchesLeftNanos
        lastDispatchReceived = lastArrived
        firstCombineSent = firstAnswered
        lastCombineReceived = lastBack
    }

    public var combineStart: Int64 { max(dispatchesLeft, firstCombineSent) }
    public var dispatchSeconds: Double { Self.seconds(from: firstDispatchSent, to: lastDispatchReceived) }
    public var combineSeconds: Double { Self.seconds(from: combineStart, to: lastCombineReceived) }
    public var roundTripSeconds: Double { Self.seconds(from: firstDispatchSent, to: lastCombineReceived) }

    static func seconds(from start: Int64, to end: Int64) -> Double { end > start ? Double(end - start) * 1e-9 : 0 }
}

/// The all-to-all benchmark's rows, nccl-tests style: per token count (and idle gap, when the
/// sweep has several: the coordinator idle before each exchange), the activations one exchange
/// moves each way (`count` values of `bytesPerValue`, `size` bytes: what the coordinator sends
/// and gets back), the median phase times over its timed exchanges, and the values that came back
/// wrong over all its exchanges, warm-up included.
public struct AlltoallRow: Sendable, Equatable {
    /// busbw ÷ algbw. nccl-tests' alltoall factor (n−1)/n discounts the share a rank keeps for
    /// itself; the coordinator keeps none, so every byte crosses its link: the factor is 1.
    public static let busFactor = 1.0

    public var tokens: Int
    /// Seconds the coordinator slept before each of the row's exchanges (0: back to back).
    public var idleGapSeconds: Double = 0
    public var exchanges: Int
    /// Activation values dispatched per exchange (mean over the timed exchanges), and their bytes.
    public var count: Int
    public var size: Int
    /// Whole frames per exchange (headers, routes, activations), all hosts together.
    public var dispatchWireBytes: Int
    public var combineWireBytes: Int
    public var dispatchSeconds: Double
    public var combineSeconds: Double
    public var roundTripSeconds: Double
    public var wrongValues: Int

    public var dispatchAlgorithmBandwidth: Double { dispatchSeconds > 0 ? Double(size) / dispatchSeconds : 0 }
    public var combineAlgorithmBandwidth: Double { combineSeconds > 0 ? Double(size) / combineSeconds : 0 }
    public var dispatchBusBandwidth: Double { dispatchAlgorithmBandwidth * Self.busFactor }
    public var combineBusBandwidth: Double { combineAlgorithmBandwidth * Self.busFactor }

    /// Rows in the order of `tokenCounts`, each token count once per `idleGaps` entry (row index
    /// token index × gaps + gap index, as `AlltoallSweep` numbers them), from merged records (both
    /// ends' times filled in) and the coordinator's notes; timed records carry their row index as their step.
    public static func rows(_ records: [TrafficRecord], notes: [AlltoallExchangeNote], tokenCounts: [Int], idleGaps: [Double] = [0],
                            bytesPerValue: Int) -> [AlltoallRow] {
        let noteOf = Dictionary(notes.map { ($0.exchange, $0) }, uniquingKeysWith: { first, _ in first })
        var byExchange: [UInt64: [TrafficRecord]] = [:]
        for r in records where r.step >= 0 { byExchange[r.exchange, default: []].append(r) }
        var perRow: [Int: [(payload: Int, d: Int, c: Int, times: AlltoallExchangeTimes)]] = [:]
        for (exchange, group) in byExchange {
            guard let note = noteOf[exchange], note.timed,
                  let times = AlltoallExchangeTimes(records: group, dispatchesLeftNanos: note.dispatchesLeftNanos) else { continue }
            let dispatches = group.filter { $0.kind == .dispatch }
            perRow[note.row, default: []].append((
                dispatches.reduce(0) { $0 + Int($1.payloadBytes) }, dispatches.reduce(0) { $0 + Int($1.wireBytes) },
                group.reduce(0) { $0 + ($1.kind == .combine ? Int($1.wireBytes) : 0) }, times))
        }
        var wrong: [Int: Int] = [:]
        for note in notes { wrong[note.row, default: 0] += note.wrongValues }
        let gaps = idleGaps.isEmpty ? [0] : idleGaps
        let labels = tokenCounts.flatMap { tokens in gaps.map { (tokens: tokens, gap: $0) } }
        return labels.enumerated().compactMap { row, label in
            guard let samples = perRow[row], !samples.isEmpty else { return nil }
            func median(_ values: [Double]) -> Double { let s = values.sorted(); return s[s.count / 2] }
            func mean(_ values: [Int]) -> Int { values.reduce(0, +) / values.count }
            let count = mean(samples.map { $0.payload / max(1, bytesPerValue) })
            return AlltoallRow(tokens: label.tokens, idleGapSeconds: label.gap, exchanges: samples.count, count: count, size: count * bytesPerValue,
                               dispatchWireBytes: mean(samples.map(\.d)), combineWireBytes: mean(samples.map(\.c)),
                               dispatchSeconds: median(samples.map(\.times.dispatchSeconds)), combineSeconds: median(samples.map(\.times.combineSeconds)),
                               roundTripSeconds: median(samples.map(\.times.roundTripSeconds)), wrongValues: wrong[row] ?? 0)
        }
    }

    /// nccl-tests' "Avg bus bandwidth": the mean of every row's dispatch and combine busbw.
    public static func averageBusBandwidth(_ rows: [AlltoallRow]) -> Double {
        rows.isEmpty ? 0 : rows.reduce(0) { $0 + $1.dispatchBusBandwidth + $1.combineBusBandwidth } / Double(2 * rows.count)
    }
}
