/// Everything one run's exchange moved, as plain values: the records of one end (or both, merged),
/// tokens per expert per layer, deduplication savings and the steps.
public struct TrafficLedger: Sendable, Equatable {
    public var context: TrafficContext
    public var records: [TrafficRecord]
    /// [layer][expert]: tokens routed to the expert over the run.
    public var expertTokens: [[Int]]
    /// Per layer: bytes one row per (token, expert) pair would have added.
    public var bytesSavedByDeduplication: [Int]
    public var steps: [TrafficStep]

    public init(context: TrafficContext, records: [TrafficRecord], expertTokens: [[Int]], bytesSavedByDeduplication: [Int], steps: [TrafficStep]) {
        self.context = context
        self.records = records
        self.expertTokens = expertTokens
        self.bytesSavedByDeduplication = bytesSavedByDeduplication
        self.steps = steps
    }

    public var wireBytes: Int { records.reduce(0) { $0 + Int($1.wireBytes) } }
    public func wireBytes(_ kind: TrafficRecord.Kind) -> Int { records.reduce(0) { $0 + ($1.kind == kind ? Int($1.wireBytes) : 0) } }
    public var moeLayers: [Int] { Array(Set(records.map { Int($0.layer) })).sorted() }

    /// Fills in the times only the other end saw: a host's receive of a dispatch, its send of a combine.
    public func merging(_ other: [TrafficRecord]) -> TrafficLedger {
        var byKey: [TrafficRecord.Key: TrafficRecord] = [:]
        for record in other { byKey[record.key] = record }
        var merged = self
        for i in merged.records.indices {
            guard let twin = byKey[merged.records[i].key] else { continue }
            if merged.records[i].sendNanos == 0 { merged.records[i].sendNanos = twin.sendNanos }
            if merged.records[i].receiveNanos == 0 { merged.records[i].receiveNanos = twin.receiveNanos }
        }
        return merged
    }
}
