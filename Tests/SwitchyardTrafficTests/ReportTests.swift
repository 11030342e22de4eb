import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import SwitchyardModel
import SwitchyardReport
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardTraffic
import SwitchyardCore
import SwitchyardModelConfig

/// report.html as a reader's browser gets it, and the trace replayed through the simulator.
@Suite struct ReportTests {
    let config = ModelPreset.tiny.config

    /// A real run's ledger: 4 hosts on nodes 0 and 1 of hgx-h100-x4, the coordinator on node 0.
    func recordedLedger() throws -> TrafficLedger {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 4)
        let source = SyntheticWeights(config: config, seed: 2)
        let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: .bf16)
        cluster.experts.traffic = TrafficRecorder(context: TrafficContext(
            hosts: 4, layers: config.numHiddenLayers, experts: config.nRoutedExperts, hidden: config.hiddenSize, payload: "bf16", transport: "inproc",
            coordinatorDevice: DevicePosition(node: 0, gpu: 0),
            hostDevices: [DevicePosition(node: 0, gpu: 1), DevicePosition(node: 0, gpu: 2), DevicePosition(node: 1, gpu: 0), DevicePosition(node: 1, gpu: 1)]))
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let requests = WorkloadRunner.syntheticRequests(count: 3, promptTokens: 6, newTokens: 3, vocabSize: config.vocabSize)
        let report = try WorkloadRunner(model: model, experts: cluster.experts).run(requests, maxBatch: 3) { steps, _ in
            cluster.experts.traffic.step = Int32(steps)
        }
        cluster.stop()
        for (s, prompt) in zip(report.stepSeconds, report.stepPromptTokens) { cluster.experts.traffic.noteStep(seconds: s, tokens: 3, promptTokens: prompt) }
        return cluster.experts.traffic.ledger.merging(cluster.hostRecords)
    }

    func topology() throws -> Topology {
        try Topology.load(contentsOf: TopologyPresets.resolve("hgx-h100-x4"))
    }

    /// Each `<svg …>…</svg>` of a page, in order.
    func svgs(_ html: String) -> [String] {
        var found: [String] = [], rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            found.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    @Test func reportHoldsOneWellFormedSVGPerFigure() throws {
        let ledger = try recordedLedger()
        let summary = TrafficSummary(ledger)
        let topology = try topology()
        let messages = ledger.records.map { r in
            let hostDevice = [1, 2, 8, 9][Int(r.host)]
            return TraceMessage(exchange: r.exchange, step: Int(r.step), layer: Int(r.layer), isDispatch: r.kind == .dispatch,
                                sourceDevice: r.kind == .dispatch ? 0 : hostDevice, destinationDevice: r.kind == .dispatch ? hostDevice : 0,
                                bytes: Double(r.wireBytes))
        }
        let html = TrafficReport(summary: summary, title: "test <run> & more", facts: [("a", "b")],
                                 projection: ("hgx-h100-x4", TraceProjection(messages: messages, topology: topology))).render()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("</html>"))
        #expect(!html.contains("<script") && !html.contains("src="))
        #expect(!html.contains("<link") && !html.contains("@import") && !html.contains("url("))
        #expect(html.contains("test &lt;run&gt; &amp; more"))
        let figures = html.components(separatedBy: "<figure").dropFirst()
        // All layers, each layer, expert load, steps, the projection.
        #expect(figures.count == 1 + summary.layers.count + 1 + 1 + 1)
        for figure in figures {
            let body = figure.components(separatedBy: "</figure>")[0]
            #expect(svgs(body).count == 1, "\(body.prefix(80))")
        }
        for svg in svgs(html) {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "") in \(svg.prefix(120))")
        }
    }

    @Test func aRecordedTraceReplaysWithTheSamePerLayerBytes() throws {
        let ledger = try recordedLedger()
        let summary = TrafficSummary(ledger)
        let topology = try topology()
        let messages = ledger.records.map { r in
            TraceMessage(exchange: r.exchange, step: Int(r.step), layer: Int(r.layer), isDispatch: r.kind == .dispatch,
                         sourceDevice: r.kind == .dispatch ? 0 : Int(r.host) * 8 + 1, destinationDevice: r.kind == .dispatch ? Int(r.host) * 8 + 1 : 0,
                         bytes: Double(r.wireBytes))
        }
        let replay = TraceProjection(messages: messages, topology: topology)
        for layer in summary.layers {
            #expect(replay.layerBytes[layer] == Double(summary.perLayer[layer]!.totalBytes))
        }
        #expect(replay.pairBytes.reduce(0, +) == Double(ledger.wireBytes))
        #expect(replay.dispatchSeconds > 0 && replay.combineSeconds > 0)
        // Hosts 2 and 3 sit on another node: their bytes cross the scale-out network.
        #expect(replay.busiestPort != nil)
        #expect(summary.nodeLocality.interNode > 0 && summary.nodeLocality.intraNode > 0)
    }

    /// The figure `id`'s SVG.
    func figure(_ id: String, in html: String) throws -> String {
        let start = try #require(html.range(of: "<figure id=\"\(id)\">"))
        return try #require(svgs(String(html[start.upperBound...])).first)
    }

    /// Every unrotated `<text>` of an SVG whose estimated extent (11 px font) leaves 0...width.
    func textsOutside(_ svg: String) throws -> [String] {
        let width = try #require(svg.firstMatch(of: /<svg[^>]* width="([0-9.]+)"/).flatMap { Double($0.1) })
        return svg.matches(of: /<text ([^>]*)>([^<]*)<\/text>/).compactMap { match -> String? in
            let attributes = String(match.1), text = String(match.2)
            guard !attributes.contains("transform"), let x = attributes.firstMatch(of: /x="(-?[0-9.]+)"/).flatMap({ Double($0.1) }) else { return nil }
            let extent = 6.2 * Double(text.count)
            let (low, high) = attributes.contains("text-anchor=\"end\"") ? (x - extent, x)
                : attributes.contains("text-anchor=\"middle\"") ? (x - extent / 2, x + extent / 2) : (x, x + extent)
            return low >= -0.5 && high <= width + 0.5 ? nil : "\(text) at x \(x) in width \(width)"
        }
    }

    func report(hostOfExpert: [Int]? = nil) throws -> (html: String, summary: TrafficSummary) {
        let summary = TrafficSummary(try recordedLedger())
        return (TrafficReport(summary: summary, title: "run", facts: [], hostOfExpert: hostOfExpert).render(), summary)
    }

    @Test func heatmapsHaveAColourScaleWithUnits() throws {
        let (html, summary) = try report()
        for id in ["heatmap-all"] + summary.layers.map({ "heatmap-layer-\($0)" }) {
            let svg = try figure(id, in: html)
            #expect(svg.contains("<g class=\"legend\">"), "\(id): no colour scale")
            #expect(svg.contains("colour: bytes"), "\(id): the scale says not what it measures")
            // Tick labels with a byte unit, the first at nothing.
            #expect(svg.contains(">0</text>"), "\(id)")
            #expect(svg.contains(" KiB</text>") || svg.contains(" MiB</text>") || svg.contains("0 B</text>"), "\(id)")
        }
    }

    @Test func expertLoadHasAnExpertAxisAndHostBoundaries() throws {
        let experts = config.nRoutedExperts
        // Round-robin over 4 hosts: the chart groups each host's experts and marks 3 boundaries.
        let placement = try Placement(.roundRobin, experts: experts, hosts: 4)
        let (html, _) = try report(hostOfExpert: (0..<experts).map(placement.host(of:)))
        let svg = try figure("expert-load", in: html)
        #expect(svg.contains(">expert</text>") && svg.contains(">host</text>"))
        #expect(svg.components(separatedBy: "class=\"host-boundary\"").count - 1 == 3)
        for host in 0..<4 { #expect(svg.contains(">host \(host)</text>") || svg.contains(">\(host)</text>")) }
        #expect(svg.contains("expert 1, host 1:") || !svg.contains("expert 1,"))
        // Without a placement: the expert axis only.
        let plain = try figure("expert-load", in: try report().html)
        #expect(plain.contains(">expert</text>") && !plain.contains("host-boundary"))
    }

    @Test func theStepChartHasATimeScaleAndPrefillApart() throws {
        let (html, summary) = try report()
        #expect(summary.ledger.steps.first?.promptTokens == 18 && summary.ledger.steps.dropFirst().allSatisfy { $0.promptTokens == 0 })
        let svg = try figure("steps", in: html)
        #expect(svg.contains("<g class=\"panel-prefill\">") && svg.contains("<g class=\"panel-decode\">"))
        #expect(svg.contains(" ms</text>") || svg.contains(" µs</text>"))
        #expect(svg.contains(">step</text>"))
        // Each panel scales to its own longest step: the tallest bar of each reaches near the top.
        for panel in ["prefill", "decode"] {
            let body = try #require(svg.components(separatedBy: "<g class=\"panel-\(panel)\">").dropFirst().first?.components(separatedBy: "</g>").first)
            #expect(body.contains("<rect"), "\(panel): no bars")
        }
    }

    @Test func everyLabelFitsItsPicture() throws {
        let experts = config.nRoutedExperts
        let placement = try Placement(.contiguous, experts: experts, hosts: 4)
        let (html, _) = try report(hostOfExpert: (0..<experts).map(placement.host(of:)))
        let topology = try topology()
        let config = ModelPreset.mistralSmall4.config
        let deployment = try Deployment(topology: topology, experts: config.nRoutedExperts, mode: .disaggregated)
        for phase in [Phase.decode, .prefill] {
            let result = Simulator(footprint: ModelFootprint(config: config, weights: .fp8), deployment: deployment,
                                   options: SimulationOptions(phase: phase, batch: 64)).run()
            let simulation = HTMLReport(result: result, title: "simulation", summary: []).render()
            for svg in svgs(html) + svgs(simulation) {
                let outside = try textsOutside(svg)
                #expect(outside.isEmpty, "\(outside)")
            }
        }
    }
}
