import Foundation
import SwitchyardSimulator
import SwitchyardTraffic

/// A run directory's report.html: what the exchange moved between which roles, per layer; the
/// load on each expert; where each step's time went; and, when the cluster's topology is known,
/// the same exchange timed on it; and the run's faults, when it had any. Self-contained: inline
/// SVG and style, no scripts or fonts.
public struct TrafficReport {
    public var summary: TrafficSummary
    public var title: String
    public var facts: [(String, String)]
    /// The run's exchange on the cluster's topology, with the topology's name.
    public var projection: (name: String, result: TraceProjection)?
    /// summary.json's faults, and the workload's length they are placed in.
    public var faults: RunSummary.Faults?
    public var runSeconds: Double?
    /// The host holding each expert, when the run's placement is known: the expert-load chart groups and marks hosts.
    public var hostOfExpert: [Int]?

    public init(summary: TrafficSummary, title: String, facts: [(String, String)], projection: (name: String, result: TraceProjection)? = nil,
                faults: RunSummary.Faults? = nil, runSeconds: Double? = nil, hostOfExpert: [Int]? = nil) {
        self.summary = summary
        self.title = title
        self.facts = facts
        self.projection = projection
        self.faults = faults
        self.runSeconds = runSeconds
        self.hostOfExpert = hostOfExpert
    }

    public func render() -> String {
        let s = summary, names = s.ledger.context.endpointNames
        let steps = s.stepBreakdown.map { StepBreakdownSVG.Step(step: $0.step, seconds: $0.seconds, exchangeSeconds: $0.exchangeSeconds, hostSeconds: $0.hostSeconds, promptTokens: $0.promptTokens) }
        let perLayer = s.layers.map { layer in
            "<figure id=\"heatmap-layer-\(layer)\"><h3>layer \(layer)</h3>\(HeatmapSVG(names: names, bytes: s.perLayer[layer]!.bytes.map(Double.init), caption: "in layer \(layer)", cellLimit: 12).render())</figure>"
        }.joined()
        let hosts = s.hostLoad.map { h in
            "<tr><td>host \(h.host)</td><td class=n>\(h.messages)</td><td class=n>\(h.tokens)</td><td class=n>\(h.slots)</td><td class=n>\(bytes(h.dispatchBytes))</td><td class=n>\(bytes(h.combineBytes))</td></tr>"
        }.joined()
        let layers = s.layers.map { l in
            "<tr><td>\(l)</td><td class=n>\(bytes(s.perLayer[l]!.totalBytes))</td><td class=n>\(ratio(s.hostImbalance(layer: l)))</td><td class=n>\(ratio(s.expertImbalance(layer: l)))</td><td class=n>\(bytes(s.ledger.bytesSavedByDeduplication[l]))</td></tr>"
        }.joined()
        let links = s.links.map { k in
            "<tr><td>\(escape(names[k.source])) → \(escape(names[k.destination]))</td><td class=n>\(k.messages)</td><td class=n>\(bytes(k.bytes))</td><td class=n>\(k.meanTransitSeconds.map { String(format: "%.1f µs", $0 * 1e6) } ?? "–")</td><td class=n>\(k.bytesPerSecond.map { String(format: "%.3f GB/s", $0 / 1e9) } ?? "–")</td></tr>"
        }.joined()
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Switchyard run traffic</title>
        <style>\(reportStyle)</style></head><body>
        <h1>\(escape(title))</h1>
        <table>\(facts.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined())</table>
        \(FaultsSection(faults: faults, runSeconds: runSeconds).render())
        <h2>Bytes from each role (row) to each role (column), all layers, dispatch and combine</h2>
        <figure id="heatmap-all">\(HeatmapSVG(names: names, bytes: s.total.bytes.map(Double.init), caption: "over the run").render())</figure>
        <h2>Per layer</h2>
        <div class=grid>\(perLayer)</div>
        <h2>Tokens per expert, per layer (dashed: the mean\(hostOfExpert == nil ? "" : "; experts grouped by their host"))</h2>
        <figure id="expert-load">\(ExpertLoadSVG(layers: s.layers.map { ($0, s.ledger.expertTokens[$0]) }, hostOfExpert: hostOfExpert).render())</figure>
        <h2>Where each step's time went</h2>
        <div class=legend>\(StepBreakdownSVG.parts.map { "<span><i style=\"background:\($0.1)\"></i>\($0.0)</span>" }.joined())</div>
        <figure id="steps">\(StepBreakdownSVG(steps: steps).render())</figure>
        \(projectionSection())
        <h2>Layers</h2>
        <table><tr><th>layer</th><th>bytes</th><th>host imbalance</th><th>expert imbalance</th><th>saved by dedup</th></tr>\(layers)</table>
        <h2>Expert hosts</h2>
        <table><tr><th>host</th><th>messages</th><th>tokens</th><th>expert slots</th><th>dispatch</th><th>combine</th></tr>\(hosts)</table>
        <h2>Links (achieved throughput: bytes over summed time in transit, where both ends' times are known)</h2>
        <table><tr><th>link</th><th>messages</th><th>bytes</th><th>mean transit</th><th>throughput</th></tr>\(links)</table>
        </body></html>

        """
    }

    func projectionSection() -> String {
        guard let (name, p) = projection else { return "" }
        let steps = max(1, summary.ledger.steps.count)
        return """
        <h2>The same exchange projected onto \(escape(name)) by the simulator</h2>
        <table><tr><th>dispatch per step</th><td class=n>\(milliseconds(p.dispatchSeconds / Double(steps)))</td></tr>
        <tr><th>combine per step</th><td class=n>\(milliseconds(p.combineSeconds / Double(steps)))</td></tr>
        <tr><th>busiest port</th><td>\(escape(p.busiestPort ?? "none: every message stays on its device"))</td></tr></table>
        <figure id="projection">\(HeatmapSVG(names: p.deviceNames, bytes: p.pairBytes, caption: "over the run, between devices").render())</figure>
        """
    }
}

func bytes(_ b: Int) -> String {
    let v = Double(b)
    if v >= 1_073_741_824 { return String(format: "%.2f GiB", v / 1_073_741_824) }
    if v >= 1_048_576 { return String(format: "%.2f MiB", v / 1_048_576) }
    if v >= 1024 { return String(format: "%.1f KiB", v / 1024) }
    return "\(b) B"
}

func ratio(_ x: Double) -> String { String(format: "%.2f", x) }
