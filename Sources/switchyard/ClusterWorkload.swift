import Foundation
import SwitchyardCluster
import SwitchyardMetrics
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardTraffic
import SwitchyardModelConfig

/// Runs the workload on a coordinator whose experts are a cluster's, prints the summary and
/// writes summary.json into the run directory.
enum ClusterWorkload {
    static func run(model: Mistral4Model, experts: ClusterExperts, spec: ClusterSpec, transport: String,
                    payload: String, weights: String, workload: WorkloadOptions) throws {
        let config = model.config
        let requests = WorkloadRunner.syntheticRequests(count: workload.requests, promptTokens: workload.promptTokens,
                                                        newTokens: workload.newTokens, vocabSize: config.vocabSize)
        experts.traffic = TrafficRecorder(context: trafficContext(spec: spec, config: config, transport: transport, payload: payload))
        var display = ProgressDisplay(quiet: workload.quiet, totalTokens: requests.reduce(0) { $0 + $1.newTokens })
        var tokensPerStep: [Int] = []
        let metrics = try workload.metricsPort.map { port in try MetricsServer(address: workload.metricsAddress, port: port) }
        defer { metrics?.endpoint.stop() }
        var lastStep = ContinuousClock.now
        let countedBefore = experts.transportCounters, controlBefore = experts.session.statistics
        let report = try WorkloadRunner(model: model, experts: experts).run(requests, maxBatch: workload.maxBatch) { steps, tokens in
            tokensPerStep.append(tokens - tokensPerStep.reduce(0, +))
            experts.traffic.step = Int32(steps)
            let totals = experts.totals
            display.update(steps: steps, tokens: tokens, bytes: totals.dispatchBytes.reduce(0, +) + totals.combineBytes.reduce(0, +))
            let now = ContinuousClock.now
            metrics?.metrics.update(from: experts.traffic, stepSeconds: WorkloadRunner.seconds(now - lastStep), generatedTokens: tokensPerStep.last ?? 0)
            lastStep = now
        }
        display.finish()
        let countedAfter = experts.transportCounters, controlAfter = experts.session.statistics
        for (seconds, tokens) in zip(report.stepSeconds, tokensPerStep) { experts.traffic.noteStep(seconds: seconds, tokens: tokens) }
        let ledger = experts.traffic.ledger
        let traffic = TrafficSummary(ledger)
        let totals = experts.totals
        let moeLayers = (0..<config.numHiddenLayers).filter(config.isMoELayer)
        if !workload.quiet {
            print("\(spec.file): \(experts.hosts.count) expert hosts over \(transport), \(payload) activations, \(weights)")
            func range(_ values: [Int], _ show: (Int) -> String) -> String {
                let low = values.min() ?? 0, high = values.max() ?? 0
                return low == high ? show(low) : "\(show(low))–\(show(high))"
            }
            let hostLine = "\(experts.hosts.count), each with \(range(experts.hosts.map(\.experts.count), String.init)) experts, "
                + "\(range(experts.hosts.map { Int($0.residentBytes) }, Format.bytes)) resident"
            print(Table(header: ["measure", "value"], rows: [
                ["expert hosts", hostLine],
                ["requests", "\(report.requests) (\(report.promptTokens) prompt tokens, batch ≤ \(workload.maxBatch))"],
                ["generated tokens", "\(report.generatedTokens) in \(report.steps) steps"],
                ["tokens/s", String(format: "%.1f", report.tokensPerSecond)],
                ["step latency p50", Format.seconds(report.stepLatency(quantile: 0.5))],
                ["step latency p99", Format.seconds(report.stepLatency(quantile: 0.99))],
            ]).render())
            print()
            let rows = moeLayers.map { l in
                [String(l), String(totals.dispatchMessages[l]), Format.bytes(totals.dispatchBytes[l]), Format.bytes(totals.combineBytes[l]),
                 Format.bytes(totals.tokens[l] > 0 ? totals.dispatchBytes[l] / max(1, report.steps) : 0)]
            }
            print(Table(header: ["layer", "messages", "dispatched", "combined", "dispatched per step"], rows: rows, rightAligned: [0, 1, 2, 3, 4]).render())
        }

        let directory = try runDirectory(workload.out)
        let summary: [String: Any] = [
            "cluster": spec.file, "transport": transport, "payload": payload, "weights": weights,
            "model": ["layers": config.numHiddenLayers, "hidden": config.hiddenSize, "experts": config.nRoutedExperts,
                      "experts_per_token": config.numExpertsPerTok],
            "hosts": experts.hosts.map { ["host": $0.host, "experts": $0.experts.count, "resident_bytes": $0.residentBytes] },
            "requests": report.requests, "prompt_tokens": report.promptTokens, "generated_tokens": report.generatedTokens,
            "steps": report.steps, "seconds": report.seconds, "tokens_per_second": report.tokensPerSecond,
            "step_latency_seconds": ["p50": report.stepLatency(quantile: 0.5), "p99": report.stepLatency(quantile: 0.99)],
            "layers": moeLayers.map { l in
                ["layer": l, "dispatch_messages": totals.dispatchMessages[l], "dispatch_bytes": totals.dispatchBytes[l],
                 "combine_bytes": totals.combineBytes[l], "tokens": totals.tokens[l]]
            },
            "traffic": trafficObject(traffic),
            // The transport's own count over the workload, beside the ledger's: they must agree.
            "transport_counters": [
                "sent_messages": countedAfter.sentMessages - countedBefore.sentMessages,
                "sent_bytes": countedAfter.sentBytes - countedBefore.sentBytes,
                "received_messages": countedAfter.receivedMessages - countedBefore.receivedMessages,
                "received_bytes": countedAfter.receivedBytes - countedBefore.receivedBytes,
            ],
            // Frames outside the ledger (late hello answers, heartbeats, errors, dropped frames), as the
            // coordinator's session counted them: ledger + these = the transport's count.
            "control_frames": [
                "sent_messages": controlAfter.controlFramesSent - controlBefore.controlFramesSent,
                "sent_bytes": controlAfter.controlBytesSent - controlBefore.controlBytesSent,
                "received_messages": controlAfter.controlFramesReceived - controlBefore.controlFramesReceived,
                "received_bytes": controlAfter.controlBytesReceived - controlBefore.controlBytesReceived,
            ],
            "outputs": report.outputs.keys.sorted().map { ["request": $0, "generated": report.outputs[$0]!] },
        ]
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        let file = directory.appendingPathComponent("summary.json")
        try data.write(to: file)
        try TrafficRun.write(ledger, into: directory)
        let page = try TrafficRun.render(directory)
        if !workload.quiet { print("\nsummary: \(file.path)\nreport: \(page.path)") }
        if let metrics, workload.metricsLinger > 0 {
            FileHandle.standardError.write(Data("metrics: serving the final values for \(workload.metricsLinger) s more\n".utf8))
            metrics.endpoint.linger(for: .seconds(workload.metricsLinger))
        }
    }

    static func trafficContext(spec: ClusterSpec, config: ModelConfig, transport: String, payload: String) -> TrafficContext {
        TrafficContext(hosts: spec.hosts.count, layers: config.numHiddenLayers, experts: config.nRoutedExperts, hidden: config.hiddenSize,
                       payload: payload, transport: transport, coordinatorDevice: spec.coordinator.device,
                       hostDevices: spec.hosts.map(\.device), cluster: spec.file, topology: spec.topologyPath)
    }

    /// The ledger's aggregates for summary.json (times as the coordinator saw them).
    static func trafficObject(_ t: TrafficSummary) -> [String: Any] {
        let locality = t.nodeLocality
        return [
            "messages": t.ledger.records.count, "wire_bytes": t.ledger.wireBytes,
            "dispatch_bytes": t.ledger.wireBytes(.dispatch), "combine_bytes": t.ledger.wireBytes(.combine),
            "bytes_saved_by_dedup": t.bytesSavedByDeduplication, "intra_node_bytes": locality.intraNode, "inter_node_bytes": locality.interNode,
            "host_imbalance": t.hostImbalance(), "expert_imbalance": t.expertImbalance(),
            "hosts": t.hostLoad.map { ["host": $0.host, "messages": $0.messages, "tokens": $0.tokens, "expert_slots": $0.slots,
                                       "dispatch_bytes": $0.dispatchBytes, "combine_bytes": $0.combineBytes] },
            "layers": t.layers.map { l in
                ["layer": l, "wire_bytes": t.perLayer[l]!.totalBytes, "host_imbalance": t.hostImbalance(layer: l),
                 "expert_imbalance": t.expertImbalance(layer: l), "bytes_saved_by_dedup": t.ledger.bytesSavedByDeduplication[l]]
            },
        ]
    }

    /// `--out`, or runs/<UTC timestamp>; created if missing.
    static func runDirectory(_ out: String?) throws -> URL {
        let path: String
        if let out { path = out } else {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            formatter.timeZone = TimeZone(identifier: "UTC")
            path = "runs/\(formatter.string(from: Date()))-\(getpid())"
        }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
