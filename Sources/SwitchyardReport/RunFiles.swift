import Foundation
import SwitchyardCore
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardTraffic

/// A run directory's files (docs/TRAFFIC.md) read from their bytes, and everything `switchyard
/// traffic`, `report` and `simulate --routing trace:` derive from them. No file system here: the
/// shell that finds the files is TrafficRun, and the fuzzer (Tests/Fuzz, target `rundir`) runs
/// this same code on hand-edited and truncated files.
public enum RunFiles {
    public static let summary = "summary.json"

    /// The coordinator's ledger from `data` (the file at `file`), with the times of each host's
    /// file that `hostFile` gives (its bytes and path; nil when the host wrote none) filled in.
    public static func ledger(_ data: Data, file: String, hostFile: (Int) -> (data: Data, file: String)?) throws(TrafficFileError) -> TrafficLedger {
        var ledger = try TrafficJSONL.decode(data, file: file)
        for host in 0..<ledger.context.hosts {
            guard let (data, path) = hostFile(host) else { continue }
            let hostLedger = try TrafficJSONL.decode(data, file: path)
            let c = hostLedger.context
            guard c.writer == host, c.hosts == ledger.context.hosts, c.layers == ledger.context.layers else {
                throw TrafficFileError("\(path): line 1: context: written by \(c.writer.map { "host \($0)" } ?? "the coordinator") for \(c.hosts) hosts and \(c.layers) layers; expected host \(host)'s file for \(ledger.context.hosts) hosts and \(ledger.context.layers) layers, as \((file as NSString).lastPathComponent) says")
            }
            ledger = ledger.merging(hostLedger.records)
        }
        return ledger
    }

    /// A hierarchical run's two hops: the coordinator's exchange with the node relays (`top`), and
    /// each relay's with its node's hosts (`relays[k]`, from relay-K/). Bytes within and between
    /// nodes count both hops, each by the nodes of its two ends.
    public struct Hops: Sendable {
        public struct Relay: Sendable {
            public var relay: Int
            public var node: Int
            public var hosts: Int
            public var dispatchBytes: Int
            public var combineBytes: Int
            public var messages: Int
        }
        public var relays: [Relay]
        /// Coordinator ↔ relays.
        public var firstHopBytes: Int
        /// Relays ↔ hosts.
        public var secondHopBytes: Int
        public var intraNode: Int
        public var interNode: Int
    }

    public static func hops(_ top: TrafficSummary, relays: [TrafficLedger]) -> Hops {
        var intra = top.nodeLocality.intraNode, inter = top.nodeLocality.interNode
        var rows: [Hops.Relay] = []
        for (relay, ledger) in relays.enumerated() {
            let locality = TrafficSummary(ledger).nodeLocality
            intra += locality.intraNode
            inter += locality.interNode
            rows.append(Hops.Relay(relay: relay, node: ledger.context.coordinatorDevice.node, hosts: ledger.context.hosts,
                                   dispatchBytes: ledger.wireBytes(.dispatch), combineBytes: ledger.wireBytes(.combine),
                                   messages: ledger.records.filter { $0.kind == .dispatch }.count))
        }
        return Hops(relays: rows, firstHopBytes: top.ledger.wireBytes, secondHopBytes: relays.reduce(0) { $0 + $1.wireBytes },
                    intraNode: intra, interNode: inter)
    }

    /// report.html: the ledger's aggregates, the run's figures from summary.json when there is
    /// one, and the exchange timed on `topology` when the roles' devices are on it.
    public static func report(_ summary: TrafficSummary, run: RunSummary?, title: String, topology: Topology?, hostOfExpert: [Int]? = nil,
                              relays: [TrafficLedger] = []) -> String {
        let ledger = summary.ledger, c = ledger.context
        let hops = c.isRelayed && !relays.isEmpty ? hops(summary, relays: relays) : nil
        var facts: [(String, String)] = [
            ("cluster", "\(c.cluster ?? "–"): "
                + (hops.map { "\(Plural.count(c.hosts, "node relay")) to \(Plural.count($0.relays.reduce(0) { $0 + $1.hosts }, "expert host")) (hierarchical exchange)" }
                    ?? Plural.count(c.hosts, "expert host"))
                + " over \(c.transport.rawValue), \(c.payload) activations"),
            ("model", "\(Plural.count(c.layers, "layer")), hidden \(c.hidden), \(c.experts) routed experts"),
        ]
        if let run {
            facts.append(("workload", "\(Plural.count(run.requests, "request")), \(Plural.count(run.generatedTokens, "token")) generated in \(Plural.count(ledger.steps.count, "step")), \(String(format: "%.1f", run.tokensPerSecond)) tokens/s"))
            if run.interrupted == true {
                facts.append(("interrupted", "stopped by a signal after \(Plural.count(run.steps, "step")); \(run.outputs.count) of \(Plural.count(run.requests, "request")) finished"))
            }
        }
        let locality = hops.map { (intraNode: $0.intraNode, interNode: $0.interNode) } ?? summary.nodeLocality
        if let hops {
            facts.append(("hops", "coordinator ↔ relays \(bytes(hops.firstHopBytes)), relays ↔ hosts \(bytes(hops.secondHopBytes)) ("
                          + hops.relays.map { "relay \($0.relay) on node \($0.node): \(bytes($0.dispatchBytes + $0.combineBytes))" }.joined(separator: ", ") + ")"))
        }
        facts += [
            ("moved", "\(bytes(ledger.wireBytes)) in \(Plural.count(ledger.records.count, "message")): dispatch \(bytes(ledger.wireBytes(.dispatch))), combine \(bytes(ledger.wireBytes(.combine)))"),
            ("within a node / between nodes", "\(bytes(locality.intraNode)) / \(bytes(locality.interNode))"
                + (summary.nodesPerToken.map { String(format: "; a token's experts on %.2f nodes on average, %d at most", $0.mean, $0.max) } ?? "")),
            ("saved by deduplication", bytes(summary.bytesSavedByDeduplication)),
            ("exchanges in flight", summary.exchangeTime.map { t in
                String(format: "%.3f s", t.seconds) + (t.shareOfSteps.map { String(format: ", %.0f%% of the steps' time", 100 * $0) } ?? "")
            } ?? "–"),
            ("imbalance (max ÷ mean)", String(format: "hosts %.2f, experts %.2f", summary.hostImbalance(), summary.expertImbalance())),
        ]
        return TrafficReport(summary: summary, title: title, facts: facts, projection: topology.flatMap { projection(ledger, topology: $0) },
                             faults: run?.faults, runSeconds: run?.seconds, hostOfExpert: hostOfExpert).render()
    }

    /// The recorded messages timed on the topology, roles on the devices the cluster file names;
    /// nil when one of those devices is not on it.
    public static func projection(_ ledger: TrafficLedger, topology: Topology) -> (name: String, result: TraceProjection)? {
        guard let messages = traceMessages(ledger, topology: topology) else { return nil }
        return (topology.name, TraceProjection(messages: messages, topology: topology))
    }

    /// The ledger's messages between the topology's devices; nil when a role's device is not on it.
    public static func traceMessages(_ ledger: TrafficLedger, topology: Topology) -> [TraceMessage]? {
        let c = ledger.context
        func index(_ d: DevicePosition) -> Int? { topology.devices.first { $0.node == d.node && $0.localIndex == d.gpu }?.index }
        guard let coordinator = index(c.coordinatorDevice) else { return nil }
        let hosts = c.hostDevices.map(index)
        guard !hosts.contains(nil) else { return nil }
        return ledger.records.compactMap { r in
            // The decoder checked every host index and one device per host; nothing is left out.
            guard hosts.indices.contains(Int(r.host)), let host = hosts[Int(r.host)] else { return nil }
            return TraceMessage(exchange: r.exchange, step: Int(r.step), layer: Int(r.layer), isDispatch: r.kind == .dispatch,
                                sourceDevice: r.kind == .dispatch ? coordinator : host, destinationDevice: r.kind == .dispatch ? host : coordinator,
                                bytes: Double(r.wireBytes), slots: Int(r.slots), tokens: Int(r.tokens))
        }
    }
}
