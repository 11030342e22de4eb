import Foundation
import SwitchyardCore
import SwitchyardCluster
import SwitchyardReport
import SwitchyardTopology
import SwitchyardRuntime
import SwitchyardTraffic

/// The traffic files of a run directory (docs/TRAFFIC.md) on disk: the coordinator's
/// traffic.jsonl, each host's traffic-host-K.jsonl and summary.json, read by RunFiles, and what
/// is derived from them written beside them: traffic.csv and report.html.
public enum TrafficRun {
    /// The coordinator's ledger with the times of every host file found beside it filled in.
    public static func load(_ directory: URL, main name: String = TrafficJSONL.fileName(writer: nil)) throws -> TrafficLedger {
        let main = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: main.path) else {
            throw TrafficFileError("\(main.path): not found; give the run directory of `switchyard run` (its --out)")
        }
        return try RunFiles.ledger(data, file: main.path) { host in
            let file = directory.appendingPathComponent(TrafficJSONL.fileName(writer: host))
            return FileManager.default.contents(atPath: file.path).map { ($0, file.path) }
        }
    }

    /// A hierarchical run's node ledgers, relay-K/traffic.jsonl with its hosts' files merged in,
    /// one per relay of `context`; none for a direct run, or while a relay has not written its
    /// ledger yet (the relays write theirs as they stop, after the coordinator's first report).
    public static func relayLedgers(_ directory: URL, context: TrafficContext) throws -> [TrafficLedger] {
        guard context.isRelayed else { return [] }
        let folders = (0..<context.hosts).map { directory.appendingPathComponent(RunTraffic.relayFolder($0)) }
        guard folders.allSatisfy({ FileManager.default.fileExists(atPath: $0.appendingPathComponent(TrafficJSONL.fileName(writer: nil)).path) }) else { return [] }
        return try folders.map { try load($0) }
    }

    /// Rewrites traffic.csv and report.html from the directory's files; returns the report's URL.
    @discardableResult
    public static func render(_ directory: URL) throws -> URL {
        let ledger = try load(directory)
        let summary = TrafficSummary(ledger)
        try OutputFile.write(TrafficCSV.encode(summary), to: directory.appendingPathComponent("traffic.csv").path)
        let summaryFile = directory.appendingPathComponent(RunFiles.summary)
        // A run stopped before its end leaves no summary.json; one that is there must be whole.
        let run = try FileManager.default.contents(atPath: summaryFile.path).map { data throws(TrafficFileError) in try RunSummary.decode(data, file: summaryFile.path) }
        let html = RunFiles.report(summary, run: run, title: "Switchyard run: \(directory.lastPathComponent)", topology: topology(ledger.context),
                                   hostOfExpert: hostOfExpert(ledger.context), relays: try relayLedgers(directory, context: ledger.context))
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
}
