/// The aggregates of a ledger: matrices, loads, imbalance, deduplication, node locality, links.
public struct TrafficSummary: Sendable {
    public let ledger: TrafficLedger
    public let total: TrafficMatrix
    /// MoE layers that moved anything, ascending, with their matrices.
    public let layers: [Int]
    public let perLayer: [Int: TrafficMatrix]
    public let hostLoad: [HostLoad]
    public let links: [LinkThroughput]

    public init(_ ledger: TrafficLedger) {
        self.ledger = ledger
        let endpoints = ledger.context.hosts + 1
        total = TrafficMatrix(records: ledger.records, endpoints: endpoints)
        layers = ledger.moeLayers
        var perLayer: [Int: TrafficMatrix] = [:]
        for layer in layers { perLayer[layer] = TrafficMatrix(endpoints: endpoints) }
        for r in ledger.records { perLayer[Int(r.layer)]?.add(r) }
        self.perLayer = perLayer
        hostLoad = HostLoad.of(ledger.records, hosts: ledger.context.hosts)
        links = LinkThroughput.of(ledger.records)
    }

    /// Expert slots per host in `layer` (all layers when nil), max ÷ mean.
    public func hostImbalance(layer: Int? = nil) -> Double {
        Imbalance.of(HostLoad.of(ledger.records, hosts: ledger.context.hosts, layer: layer).map(\.slots))
    }

    /// Tokens per expert in `layer` (all layers summed when nil), max ÷ mean.
    public func expertImbalance(layer: Int? = nil) -> Double {
        if let layer { return Imbalance.of(ledger.expertTokens[layer]) }
        let experts = ledger.context.experts
        return Imbalance.of((0..<experts).map { e in ledger.expertTokens.reduce(0) { $0 + $1[e] } })
    }

    public var bytesSavedByDeduplication: Int { ledger.bytesSavedByDeduplication.reduce(0, +) }

    /// Seconds the run's exchanges were in flight, each from its first dispatch leaving to its
    /// last combine arriving (the coordinator's clock), summed; and that over the steps' seconds.
    /// Nil when the ledger has no such pair of times (a host's file).
    public var exchangeTime: (seconds: Double, shareOfSteps: Double?)? {
        let seconds = ExchangeSpans(ledger.records).inFlightSeconds
        guard seconds > 0 else { return nil }
        let steps = ledger.steps.reduce(0.0) { $0 + $1.seconds }
        return (seconds, steps > 0 ? seconds / steps : nil)
    }

    /// How many nodes a token's experts were on, over every layer's exchanges: the mean and the
    /// most; nil when the ledger did not record it.
    public var nodesPerToken: (mean: Double, max: Int)? {
        let counts = ledger.nodesPerTokenTotal
        let tokens = counts.reduce(0, +)
        guard tokens > 0 else { return nil }
        let weighted = counts.enumerated().reduce(0.0) { $0 + Double($1.offset) * Double($1.element) }
        return (weighted / Double(tokens), counts.lastIndex { $0 > 0 } ?? 0)
    }

    /// Bytes between endpoints on the same topology node, and between nodes.
    public var nodeLocality: (intraNode: Int, interNode: Int) {
        var intra = 0, inter = 0
        let n = total.endpoints, context = ledger.context
        for s in 0..<n {
            for d in 0..<n where total[bytes: s, d] > 0 {
                if context.node(ofEndpoint: s) == context.node(ofEndpoint: d) { intra += total[bytes: s, d] } else { inter += total[bytes: s, d] }
            }
        }
        return (intra, inter)
    }

    /// Per step: wall seconds, and the part spent inside expert exchanges (first dispatch sent to
    /// last combine received, per layer, as the coordinator saw it).
    public var stepBreakdown: [(step: Int, seconds: Double, exchangeSeconds: Double, hostSeconds: Double, promptTokens: Int)] {
        var windows: [UInt64: (step: Int32, start: Int64, end: Int64)] = [:]
        // Per exchange, the longest a host held its work: combine sent − dispatch received.
        var hostHeld: [UInt64: [Int32: (Int64, Int64)]] = [:]
        for r in ledger.records {
            var w = windows[r.exchange] ?? (r.step, Int64.max, 0)
            if r.kind == .dispatch, r.sendNanos > 0 { w.start = min(w.start, r.sendNanos) }
            if r.kind == .combine, r.receiveNanos > 0 { w.end = max(w.end, r.receiveNanos) }
            windows[r.exchange] = w
            var held = hostHeld[r.exchange, default: [:]][r.host] ?? (0, 0)
            if r.kind == .dispatch { held.0 = r.receiveNanos } else { held.1 = r.sendNanos }
            hostHeld[r.exchange, default: [:]][r.host] = held
        }
        var exchange = [Int: Double](), host = [Int: Double]()
        for (id, w) in windows where w.end > w.start && w.start != Int64.max {
            exchange[Int(w.step), default: 0] += Double(w.end - w.start) * 1e-9
            let longest = hostHeld[id]?.values.map { $0.0 > 0 && $0.1 >= $0.0 ? $0.1 - $0.0 : 0 }.max() ?? 0
            host[Int(w.step), default: 0] += Double(longest) * 1e-9
        }
        return ledger.steps.map { ($0.step, $0.seconds, exchange[$0.step] ?? 0, host[$0.step] ?? 0, $0.promptTokens) }
    }
}
