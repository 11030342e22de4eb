import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import SwitchyardLaunch
import SwitchyardMetrics
@testable import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTraffic
import SwitchyardModelConfig

/// A run's faults, as the coordinator's host events and the injected faults give them, shown in
/// report.html (rendered from the run directory) and in the Prometheus metrics.
@Suite struct FaultsShownTests {
    let config = ModelPreset.tiny.config
    let origin: Int64 = 1_000_000_000

    /// Host 3 killed 0.5 s in, declared lost 0.2 s later, its pairs of layer 1 sent again, back as
    /// incarnation 2 at 2.5 s.
    var events: [HostEvent] {
        [HostEvent(host: 3, kind: .lost(reason: "its process ended"), at: ProtocolTime(nanoseconds: origin + 700_000_000)),
         HostEvent(host: 3, kind: .failedOver(layer: 1, pairs: 6, bytes: 4096), at: ProtocolTime(nanoseconds: origin + 710_000_000)),
         HostEvent(host: 3, kind: .rejoined(incarnation: 2), at: ProtocolTime(nanoseconds: origin + 2_500_000_000))]
    }

    func injected() throws -> [(fault: InjectedFault, at: Int64)] {
        [(try InjectedFault(parsing: "kill:host=3@step=5", hosts: 4), origin + 500_000_000)]
    }

    /// A run directory with a small ledger and a summary.json carrying `faults`.
    func runDirectory(faults: RunSummary.Faults?) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-faults-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let traffic = RunTraffic(config: config, hosts: 4, payload: .f32, transport: .zmq, directory: directory)
        let recorder = traffic.recorder(writer: nil)
        recorder.record(TrafficRecord(kind: .dispatch, step: 0, exchange: 1, layer: 1, host: 2, tokens: 2, slots: 3,
                                      payloadBytes: 512, wireBytes: 600, sendNanos: 10))
        recorder.noteStep(seconds: 0.1, tokens: 2)
        try traffic.write(recorder.ledger)
        let summary = RunSummary(
            cluster: "cluster.json", transport: .zmq, payload: .f32, weights: "synthetic:seed=1:dtype=f32",
            model: RunSummary.Model(layers: config.numHiddenLayers, hidden: config.hiddenSize, experts: config.nRoutedExperts, expertsPerToken: config.numExpertsPerTok),
            hosts: (0..<4).map { RunSummary.Host(host: $0, experts: 32, residentBytes: 1024) },
            requests: 1, promptTokens: 2, generatedTokens: 1, steps: 1, seconds: 3.0, tokensPerSecond: 0.33,
            stepLatencySeconds: RunSummary.Latency(p50: 0.1, p99: 0.1), layers: [],
            traffic: RunSummary.Traffic(TrafficSummary(recorder.ledger)),
            transportCounters: RunSummary.TransportCounts(sentMessages: 1, sentBytes: 600, receivedMessages: 0, receivedBytes: 0),
            controlFrames: RunSummary.TransportCounts(sentMessages: 0, sentBytes: 0, receivedMessages: 0, receivedBytes: 0),
            outputs: [RunSummary.Output(request: 0, generated: [5])], faults: faults)
        try summary.encoded().write(to: directory.appendingPathComponent("summary.json"))
        return directory
    }

    @Test func theReportShowsEachFaultAndEveryEvent() throws {
        let faults = try #require(ClusterWorkload.faultLog(events, injected: try injected(), origin: origin))
        let directory = try runDirectory(faults: faults)
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = try String(contentsOf: TrafficRun.render(directory), encoding: .utf8)
        #expect(html.contains("<h2 id=\"faults\">Faults</h2>"))
        #expect(html.contains("<tr><th>fault</th><th>host</th><th>at</th><th>detected after</th><th>recovered after</th></tr>"))
        // kill at 0.5 s, declared lost 0.2 s later, used again 2.0 s after the kill.
        #expect(html.contains("<tr><td>kill:host=3@step=5</td><td>host 3</td><td class=n>0.500 s</td><td class=n>0.200 s</td><td class=n>2.000 s</td></tr>"), "\(html)")
        #expect(html.contains("<td>failed_over</td><td>layer 1: 6 pairs sent again</td><td class=n>4.0 KiB</td>"))
        #expect(html.contains("<td class=n>2.500 s</td><td>host 3</td><td>rejoined</td>"))
        // The time axis: one lane (host 3), the injected fault and three events on it, over the run's 3 s.
        let start = try #require(html.range(of: "<figure id=\"fault-timeline\">"))
        let end = try #require(html.range(of: "</figure>", range: start.upperBound..<html.endIndex))
        let figure = String(html[start.upperBound..<end.lowerBound])
        #expect(figure.components(separatedBy: "<circle").count - 1 == 3)
        #expect(figure.components(separatedBy: "<path").count - 1 == 1)
        #expect(figure.contains(">host 3</text>") && figure.contains("3.000 s</text>"))
        #expect((try? XMLDocument(xmlString: figure)) != nil, "the time axis is well-formed SVG")
    }

    @Test func aRunWithoutFaultsHasNoFaultsSection() throws {
        let directory = try runDirectory(faults: nil)
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = try String(contentsOf: TrafficRun.render(directory), encoding: .utf8)
        #expect(!html.contains("Faults") && !html.contains("fault-timeline"))
        #expect(html.contains("<h2>Per layer</h2>"))
    }

    @Test func theMetricsCountLossesRejoinsResentBytesAndDetections() throws {
        let metrics = RunMetrics()
        let faults = FaultMetrics(registry: metrics.registry)
        func value(_ name: String) -> Double? {
            metrics.exposition().split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        #expect(value("switchyard_hosts_lost_total") == 0 && value("switchyard_hosts_rejoined_total") == 0)
        // After the first step only the loss has happened; after the second, every event. The log is
        // given whole each time: nothing is counted twice.
        faults.update(from: ClusterWorkload.faultLog(Array(events.prefix(1)), injected: try injected(), origin: origin))
        #expect(value("switchyard_hosts_lost_total") == 1 && value("switchyard_failover_resent_bytes_total") == 0)
        #expect(value("switchyard_fault_detection_seconds_count") == 1)
        #expect(value("switchyard_fault_detection_seconds_sum").map { abs($0 - 0.2) < 1e-9 } == true)
        faults.update(from: ClusterWorkload.faultLog(events, injected: try injected(), origin: origin))
        faults.update(from: nil)
        #expect(value("switchyard_hosts_lost_total") == 1)
        #expect(value("switchyard_hosts_rejoined_total") == 1)
        #expect(value("switchyard_failover_resent_bytes_total") == 4096)
        #expect(value("switchyard_fault_detection_seconds_count") == 1)
        #expect(metrics.exposition().contains("switchyard_fault_detection_seconds_bucket{le=\"0.25\"} 1"))
    }
}
