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
    /// `faults` acts on injected kill and stop faults when their step begins (the launcher's hosts).
    static func run(model: Mistral4Model, experts: ClusterExperts, spec: ClusterSpec, transport: String,
                    payload: String, weights: String, workload: WorkloadOptions, faults: FaultInjector? = nil) throws {
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
        let origin = TrafficClock.now()
        faults?.begin(step: 1)
        let report = try WorkloadRunner(model: model, experts: experts).run(requests, maxBatch: workload.maxBatch, overlap: workload.overlap) { steps, tokens in
            faults?.begin(step: steps + 1)
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
        let context = experts.traffic.context
        let summary = RunSummary(
            cluster: spec.file, transport: context.transport, payload: context.payload, weights: weights,
            model: RunSummary.Model(layers: config.numHiddenLayers, hidden: config.hiddenSize, experts: config.nRoutedExperts,
                                    expertsPerToken: config.numExpertsPerTok),
            hosts: experts.hosts.map { RunSummary.Host(host: $0.host, experts: $0.experts.count, residentBytes: $0.residentBytes) },
            requests: report.requests, promptTokens: report.promptTokens, generatedTokens: report.generatedTokens,
            steps: report.steps, seconds: report.seconds, tokensPerSecond: report.tokensPerSecond,
            stepLatencySeconds: RunSummary.Latency(p50: report.stepLatency(quantile: 0.5), p99: report.stepLatency(quantile: 0.99)),
            layers: moeLayers.map { l in
                RunSummary.Layer(layer: l, dispatchMessages: totals.dispatchMessages[l], dispatchBytes: totals.dispatchBytes[l],
                                 combineBytes: totals.combineBytes[l], tokens: totals.tokens[l])
            },
            traffic: RunSummary.Traffic(traffic),
            // The transport's own count over the workload, beside the ledger's: they must agree.
            transportCounters: RunSummary.TransportCounts(
                sentMessages: countedAfter.sentMessages - countedBefore.sentMessages, sentBytes: countedAfter.sentBytes - countedBefore.sentBytes,
                receivedMessages: countedAfter.receivedMessages - countedBefore.receivedMessages,
                receivedBytes: countedAfter.receivedBytes - countedBefore.receivedBytes),
            // Frames outside the ledger (late hello answers, heartbeats, errors, dropped frames), as the
            // coordinator's session counted them: ledger + these = the transport's count.
            controlFrames: RunSummary.TransportCounts(
                sentMessages: controlAfter.controlFramesSent - controlBefore.controlFramesSent,
                sentBytes: controlAfter.controlBytesSent - controlBefore.controlBytesSent,
                receivedMessages: controlAfter.controlFramesReceived - controlBefore.controlFramesReceived,
                receivedBytes: controlAfter.controlBytesReceived - controlBefore.controlBytesReceived),
            outputs: report.outputs.keys.sorted().map { RunSummary.Output(request: $0, generated: report.outputs[$0] ?? []) },
            faults: faultLog(experts.events, injected: faults?.done ?? [], origin: origin))
        let data = try summary.encoded()
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

    /// Injected faults with how long the coordinator took to notice each and to use the host again,
    /// and every host event, in seconds from the workload's start.
    static func faultLog(_ events: [HostEvent], injected: [(fault: InjectedFault, at: Int64)], origin: Int64) -> RunSummary.Faults? {
        guard !events.isEmpty || !injected.isEmpty else { return nil }
        func seconds(_ nanos: Int64) -> Double { Double(nanos - origin) * 1e-9 }
        let log = events.map { event -> RunSummary.Faults.Event in
            switch event.kind {
            case let .lost(reason): .init(host: event.host, event: "lost", detail: reason, atSeconds: seconds(event.at.nanoseconds), resentBytes: 0)
            case let .rejoined(incarnation): .init(host: event.host, event: "rejoined", detail: "incarnation \(incarnation)",
                                                   atSeconds: seconds(event.at.nanoseconds), resentBytes: 0)
            case let .failedOver(layer, pairs, bytes): .init(host: event.host, event: "failed_over", detail: "layer \(layer): \(pairs) pairs sent again",
                                                             atSeconds: seconds(event.at.nanoseconds), resentBytes: bytes)
            }
        }
        let injectedLog = injected.map { fault, at -> RunSummary.Faults.Injected in
            let after = events.filter { $0.host == fault.host && $0.at.nanoseconds >= at }
            let lost = after.first { if case .lost = $0.kind { true } else { false } }
            let back = after.first { if case .rejoined = $0.kind { true } else { false } }
            return .init(fault: fault.description, host: fault.host, atSeconds: seconds(at),
                         detectedAfterSeconds: lost.map { Double($0.at.nanoseconds - at) * 1e-9 },
                         recoveredAfterSeconds: back.map { Double($0.at.nanoseconds - at) * 1e-9 })
        }
        return RunSummary.Faults(injected: injectedLog, events: log)
    }

    static func trafficContext(spec: ClusterSpec, config: ModelConfig, transport: String, payload: String) -> TrafficContext {
        TrafficContext(hosts: spec.hosts.count, layers: config.numHiddenLayers, experts: config.nRoutedExperts, hidden: config.hiddenSize,
                       payload: payload, transport: transport, coordinatorDevice: spec.coordinator.device,
                       hostDevices: spec.hosts.map(\.device), cluster: spec.file, topology: spec.topologyPath)
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
