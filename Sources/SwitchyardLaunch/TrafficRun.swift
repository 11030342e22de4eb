import Foundation
import SwitchyardCluster
import SwitchyardReport
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardTraffic
import SwitchyardCore
import SwitchyardRuntime

/// The traffic files of a run directory (docs/TRAFFIC.md): the coordinator's traffic.jsonl, each
/// host's traffic-host-K.jsonl, and what is derived from them: traffic.csv and report.html.
public enum TrafficRun {
    /// The coordinator's ledger with the times of every host file found beside it filled in.
    public static func load(_ directory: URL, main name: String = RunTraffic.fileName(writer: nil)) throws -> TrafficLedger {
        let main = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: main.path) else {
            throw TrafficFileError("\(main.path): not found; give the run directory of `switchyard run` (its --out)")
        }
        var ledger = try TrafficJSONL.decode(data, file: main.path)
        for host in 0..<ledger.context.hosts {
            let file = directory.appendingPathComponent(RunTraffic.fileName(writer: host))
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            let hostLedger = try TrafficJSONL.decode(data, file: file.path)
            let c = hostLedger.context
            guard c.writer == host, c.hosts == ledger.context.hosts, c.layers == ledger.context.layers else {
                throw TrafficFileError("\(file.path): line 1: context: written by \(c.writer.map { "host \($0)" } ?? "the coordinator") for \(c.hosts) hosts and \(c.layers) layers; expected host \(host)'s file for \(ledger.context.hosts) hosts and \(ledger.context.layers) layers, as \(main.lastPathComponent) says")
            }
            ledger = ledger.merging(hostLedger.records)
        }
        return ledger
    }

    /// Rewrites traffic.csv and report.html from the directory's files; returns the report's URL.
    @discardableResult
    public static func render(_ directory: URL) throws -> URL {
        let ledger = try load(directory)
        let summary = TrafficSummary(ledger)
        try OutputFile.write(TrafficCSV.encode(summary), to: directory.appendingPathComponent("traffic.csv").path)
        let summaryFile = directory.appendingPathComponent("summary.json")
        // A run stopped before its end leaves no summary.json; one that is there must be whole.
        let run = try FileManager.default.contents(atPath: summaryFile.path).map { data throws(TrafficFileError) in try RunSummary.decode(data, file: summaryFile.path) }
        let c = ledger.context
        var facts: [(String, String)] = [
            ("cluster", "\(c.cluster ?? "–"): \(Plural.count(c.hosts, "expert host")) over \(c.transport.rawValue), \(c.payload) activations"),
            ("model", "\(Plural.count(c.layers, "layer")), hidden \(c.hidden), \(c.experts) routed experts"),
        ]
        if let run {
            facts.append(("workload", "\(Plural.count(run.requests, "request")), \(Plural.count(run.generatedTokens, "token")) generated in \(Plural.count(ledger.steps.count, "step")), \(String(format: "%.1f", run.tokensPerSecond)) tokens/s"))
            if run.interrupted == true {
                facts.append(("interrupted", "stopped by a signal after \(Plural.count(run.steps, "step")); \(run.outputs.count) of \(Plural.count(run.requests, "request")) finished"))
            }
        }
        let locality = summary.nodeLocality
        facts += [
            ("moved", "\(Format.bytes(ledger.wireBytes)) in \(ledger.records.count) messages: dispatch \(Format.bytes(ledger.wireBytes(.dispatch))), combine \(Format.bytes(ledger.wireBytes(.combine)))"),
            ("within a node / between nodes", "\(Format.bytes(locality.intraNode)) / \(Format.bytes(locality.interNode))"),
            ("saved by deduplication", Format.bytes(summary.bytesSavedByDeduplication)),
            ("imbalance (max ÷ mean)", String(format: "hosts %.2f, experts %.2f", summary.hostImbalance(), summary.expertImbalance())),
        ]
        let html = TrafficReport(summary: summary, title: "Switchyard run: \(directory.lastPathComponent)", facts: facts,
                                 projection: projection(ledger), faults: run?.faults, runSeconds: run?.seconds,
                                 hostOfExpert: hostOfExpert(c)).render()
        let url = directory.appendingPathComponent("report.html")
        try OutputFile.write(html, to: url.path)
        return url
    }

    /// The host holding each expert, from the run's cluster file when it is still there and
    /// names as many hosts as the run had; nil otherwise.
    public static func hostOfExpert(_ context: TrafficContext) -> [Int]? {
        guard let path = context.cluster, let spec = try? ClusterSpec.load(path: path), spec.hosts.count == context.hosts,
              let placement = try? spec.placement(experts: context.experts) else { return nil }
        return (0..<context.experts).map(placement.host(of:))
    }

    /// The cluster's topology: its file, or a preset of the same name.
    public static func topology(_ context: TrafficContext) -> Topology? {
        guard let path = context.topology else { return nil }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        for url in [URL(fileURLWithPath: path), TopologyPresets.resolve(name)] where FileManager.default.fileExists(atPath: url.path) {
            if let topology = try? Topology.load(contentsOf: url) { return topology }
        }
        return nil
    }

    /// The recorded messages timed on the topology, roles on the devices the cluster file names.
    public static func projection(_ ledger: TrafficLedger) -> (name: String, result: TraceProjection)? {
        guard let topology = topology(ledger.context) else { return nil }
        guard let messages = traceMessages(ledger, topology: topology) else { return nil }
        return (topology.name, TraceProjection(messages: messages, topology: topology))
    }

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
                                bytes: Double(r.wireBytes))
        }
    }
}
