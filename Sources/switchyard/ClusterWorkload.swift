import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardRuntime

/// Runs the workload on a coordinator whose experts are a cluster's, prints the summary and
/// writes summary.json into the run directory.
enum ClusterWorkload {
    static func run(model: Mistral4Model, experts: ClusterExperts, spec: ClusterSpec, transport: String,
                    payload: String, weights: String, workload: WorkloadOptions) throws {
        let config = model.config
        let requests = WorkloadRunner.syntheticRequests(count: workload.requests, promptTokens: workload.promptTokens,
                                                        newTokens: workload.newTokens, vocabSize: config.vocabSize)
        var lastPrint = ContinuousClock.now
        let started = ContinuousClock.now
        let report = try WorkloadRunner(model: model, experts: experts).run(requests, maxBatch: workload.maxBatch) { steps, tokens in
            guard !workload.quiet, ContinuousClock.now - lastPrint >= .seconds(1) else { return }
            lastPrint = ContinuousClock.now
            let elapsed = WorkloadRunner.seconds(lastPrint - started)
            FileHandle.standardError.write(Data("step \(steps): \(tokens) tokens, \(String(format: "%.1f", Double(tokens) / elapsed)) tokens/s\n".utf8))
        }
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
            "outputs": report.outputs.keys.sorted().map { ["request": $0, "generated": report.outputs[$0]!] },
        ]
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        let file = directory.appendingPathComponent("summary.json")
        try data.write(to: file)
        if !workload.quiet { print("\nsummary: \(file.path)") }
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
