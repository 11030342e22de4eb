import Foundation
import SwitchyardLaunch
import SwitchyardTraffic
import SwitchyardCore

/// What `run`, `coordinator` and `mpi-job` print: the progress while the workload runs, then the
/// summary's tables and where the run directory's files are (--quiet drops only the progress).
struct WorkloadText {
    let workload: Workload
    private var display: ProgressDisplay

    init(_ workload: Workload) {
        self.workload = workload
        display = ProgressDisplay(quiet: workload.quiet, totalTokens: workload.totalNewTokens)
    }

    mutating func progress(steps: Int, tokens: Int, bytes: Int) { display.update(steps: steps, tokens: tokens, bytes: bytes) }

    func finish(_ outcome: WorkloadOutcome) {
        display.finish()
        let s = outcome.summary
        let relayed = s.exchange == "hierarchical"
        print("\(s.cluster): \(Plural.count(s.hosts.count, relayed ? "node relay" : "expert host"))\(relayed ? " (hierarchical exchange)" : "") over \(s.transport.rawValue), \(s.payload) activations, \(s.weights)")
        func range(_ values: [Int], _ show: (Int) -> String) -> String {
            let low = values.min() ?? 0, high = values.max() ?? 0
            return low == high ? show(low) : "\(show(low))–\(show(high))"
        }
        let hostLine = "\(s.hosts.count), each with \(range(s.hosts.map(\.experts), String.init)) experts, "
            + "\(range(s.hosts.map { Int($0.residentBytes) }, Format.bytes)) resident"
        print(Table(header: ["measure", "value"], rows: [
            relayed ? ["node relays", "\(s.hosts.count), each for its node's \(range(s.hosts.map(\.experts), String.init)) experts"] : ["expert hosts", hostLine],
            ["requests", "\(s.requests) (\(Plural.count(s.promptTokens, "prompt token")), batch ≤ \(workload.maxBatch))"],
            ["generated tokens", "\(s.generatedTokens) in \(Plural.count(s.steps, "step"))"],
            ["tokens/s", String(format: "%.1f", s.tokensPerSecond)],
            ["step latency p50", Format.seconds(s.stepLatencySeconds.p50)],
            ["step latency p99", Format.seconds(s.stepLatencySeconds.p99)],
        ]).render())
        print()
        let rows = s.layers.map { l in
            [String(l.layer), String(l.dispatchMessages), Format.bytes(l.dispatchBytes), Format.bytes(l.combineBytes),
             Format.bytes(l.tokens > 0 ? l.dispatchBytes / max(1, s.steps) : 0)]
        }
        print(Table(header: ["layer", "messages", "dispatched", "combined", "dispatched per step"], rows: rows, rightAligned: [0, 1, 2, 3, 4]).render())
        print("\nsummary: \(outcome.summaryFile.path)\nreport: \(outcome.reportFile.path)")
    }
}
