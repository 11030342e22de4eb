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
        for s in report.stepSeconds { cluster.experts.traffic.noteStep(seconds: s, tokens: 3) }
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
}
