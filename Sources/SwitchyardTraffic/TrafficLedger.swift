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
    /// Per layer: `[k]` = tokens whose experts were on k nodes (the nodes of the hosts' devices);
    /// empty for a layer or ledger that did not record it (host files, older files).
    public var nodesPerToken: [[Int]]

    public init(context: TrafficContext, records: [TrafficRecord], expertTokens: [[Int]], bytesSavedByDeduplication: [Int], steps: [TrafficStep],
                nodesPerToken: [[Int]] = []) {
        self.context = context
        self.records = records
        self.expertTokens = expertTokens
        self.bytesSavedByDeduplication = bytesSavedByDeduplication
        self.steps = steps
        self.nodesPerToken = nodesPerToken
    }

    /// Tokens per number of nodes reached, over every layer: `[k]` tokens reached k nodes.
    public var nodesPerTokenTotal: [Int] {
        var total: [Int] = []
        for layer in nodesPerToken {
            if layer.count > total.count { total += Array(repeating: 0, count: layer.count - total.count) }
            for (k, n) in layer.enumerated() { total[k] += n }
        }
        return total
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
