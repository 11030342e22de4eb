import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTraffic
import SwitchyardCore

/// What serving a workload on a cluster left: the summary (as written to summary.json) and the
/// files of the run directory.
public struct WorkloadOutcome: Sendable {
    public var summary: RunSummary
    public var directory: URL
    public var summaryFile: URL
    public var reportFile: URL
}

/// Serves a workload on a coordinator whose experts are a cluster's, and writes summary.json,
/// the coordinator's traffic.jsonl, traffic.csv and report.html into the run directory.
public enum ClusterWorkload {
    /// `progress(steps, tokens, bytesMoved)` after every step; `faults` kills or stops hosts as
    /// the steps of their injected faults begin; once `interruption` is requested the workload
    /// ends at the next step boundary and the files say so (`"interrupted": true`).
    public static func run(model: Mistral4Model, experts: ClusterExperts, spec: ClusterSpec, transport: ClusterTransport,
                           weights: String, workload: Workload, directory: URL, faults: FaultInjector? = nil,
                           interruption: RunInterruption? = nil,
                           progress: (_ steps: Int, _ tokens: Int, _ bytes: Int) -> Void = { _, _, _ in }) throws -> WorkloadOutcome {
        try workload.validate()
        let config = model.config
        let requests = WorkloadRunner.syntheticRequests(count: workload.requests, promptTokens: workload.promptTokens,
                                                        newTokens: workload.newTokens, vocabSize: config.vocabSize)
        let traffic = RunTraffic(spec: spec, config: config, transport: transport, directory: directory)
        experts.traffic = traffic.recorder(writer: nil)
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
            progress(steps, tokens, totals.dispatchBytes.reduce(0, +) + totals.combineBytes.reduce(0, +))
            let now = ContinuousClock.now
            metrics?.metrics.update(from: experts.traffic, stepSeconds: WorkloadRunner.seconds(now - lastStep), generatedTokens: tokensPerStep.last ?? 0)
            if let metrics, !experts.events.isEmpty {
                metrics.faults.update(from: faultLog(experts.events, injected: faults?.done ?? [], origin: origin))
            }
            lastStep = now
        } stopRequested: {
            interruption?.requested != nil
        }
        let countedAfter = experts.transportCounters, controlAfter = experts.session.statistics
        for (step, (seconds, tokens)) in zip(report.stepSeconds, tokensPerStep).enumerated() {
            experts.traffic.noteStep(seconds: seconds, tokens: tokens, promptTokens: report.stepPromptTokens[step])
        }
        let ledger = experts.traffic.ledger
        let totals = experts.totals
        let moeLayers = (0..<config.numHiddenLayers).filter(config.isMoELayer)
        let context = experts.traffic.context
        var summary = RunSummary(
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
            traffic: RunSummary.Traffic(TrafficSummary(ledger)),
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
            faults: faultLog(experts.events, injected: faults?.done ?? [], origin: origin), interrupted: report.interrupted)
        if spec.exchange == .hierarchical { summary.exchange = ClusterExchange.hierarchical.rawValue }
        try OutputFile.makeDirectory(directory.path)
        let file = directory.appendingPathComponent("summary.json")
        try OutputFile.write(try summary.encoded(), to: file.path)
        try traffic.write(ledger)
        let page = try TrafficRun.render(directory)
        if let metrics, workload.metricsLinger > 0, !report.interrupted {
            FileHandle.standardError.write(Data("metrics: serving the final values for \(workload.metricsLinger) s more\n".utf8))
            metrics.endpoint.linger(for: .seconds(workload.metricsLinger))
        }
        return WorkloadOutcome(summary: summary, directory: directory, summaryFile: file, reportFile: page)
    }

    /// Injected faults with how long the coordinator took to notice each and to use the host again,
    /// and every host event, in seconds from the workload's start.
    public static func faultLog(_ events: [HostEvent], injected: [(fault: InjectedFault, at: Int64)], origin: Int64) -> RunSummary.Faults? {
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
}
