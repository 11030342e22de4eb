import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardCore
import SwitchyardTraffic

struct BenchOverlap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overlap",
        abstract: "Step time with ping-pong overlap against without, over links slowed by an injected delay.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench overlap [<options>]",
        discussion: """
        Runs the same workload twice on the cluster file's local hosts, each host's
        frames leaving --delay-ms late (the delay fault: a distant machine's link),
        once with --overlap none and once with --overlap pingpong, and prints decode
        step latency (p50) of each and their ratio, measured in the same invocation.
        Tokens must be identical. From the run without overlap it also reads the
        share s of the steps' time with an exchange in flight, and prints the best
        ratio two micro-batches on one coordinator thread can reach: per layer,
        max(C, C/2 + E) against C + E (C the layer's compute, E its exchange), that
        is max(1 − s, (1 + s)/2) of the step: 0.67 at best, at s = 1/3.

        Example: switchyard bench overlap --batch 16 --delay-ms 2
        Defaults: cluster/local-dgx-b200.json (8 hosts), mini, batch 16, 2 ms.
        """
    )

    @Option(help: "The cluster file (local ZeroMQ hosts). Default: cluster/local-dgx-b200.json, in the working directory or above the executable.")
    var cluster: String?
    @Option(help: "Model preset.") var model = "mini"
    @Option(help: "Sequences per step (and requests).") var batch = 16
    @Option(help: "Tokens generated per request.") var newTokens = 16
    @Option(help: "Delay on every frame a host sends, in milliseconds.") var delayMs = 2.0
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        guard (2...256).contains(batch) else { throw ValidationError("--batch must be in 2...256, got \(batch)") }
        guard (2...4096).contains(newTokens) else { throw ValidationError("--new-tokens must be in 2...4096, got \(newTokens)") }
        guard delayMs >= 0, delayMs <= 1000 else { throw ValidationError("--delay-ms must be in 0...1000, got \(delayMs)") }
    }

    func run() throws {
        let cluster = try DefaultCluster.path(self.cluster)
        let hosts = try ClusterSettings(path: cluster).spec.hosts.count
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-bench-overlap-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var results: [(name: String, p50: Double, outputs: [[Int]])] = []
        var exchangeShare: Double?
        for overlap in ["none", "pingpong"] {
            let out = folder.appendingPathComponent(overlap).path
            let faults = (0..<hosts).flatMap { ["--inject", "delay:host=\($0),ms=\(delayMs)"] }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try ChildProcess.currentExecutable())
            process.arguments = ["run", "--cluster", cluster, "--model", model, "--requests", String(batch), "--prompt-tokens", "8",
                                 "--new-tokens", String(newTokens), "--max-batch", String(batch), "--overlap", overlap, "--out", out, "--quiet"] + faults
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ValidationError("switchyard run --overlap \(overlap) failed with status \(process.terminationStatus)") }
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
            guard let summary = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let latency = summary["step_latency_seconds"] as? [String: Any], let p50 = latency["p50"] as? Double,
                  let outputs = summary["outputs"] as? [[String: Any]] else {
                throw ValidationError("\(out)/summary.json has no step latency or outputs")
            }
            let generated = outputs.sorted { ($0["request"] as? Int ?? 0) < ($1["request"] as? Int ?? 0) }.map { $0["generated"] as? [Int] ?? [] }
            results.append((overlap, p50, generated))
            if overlap == "none" { exchangeShare = TrafficSummary(try TrafficRun.load(URL(fileURLWithPath: out))).exchangeTime?.shareOfSteps }
        }
        let ratio = results[1].p50 / max(results[0].p50, 1e-12)
        let identical = results[0].outputs == results[1].outputs
        // The best two micro-batches can do on one coordinator thread, from the share measured without overlap.
        let bound = exchangeShare.map { max(1 - $0, (1 + $0) / 2) }
        var object: [String: Any] = ["none_step_p50_seconds": results[0].p50, "pingpong_step_p50_seconds": results[1].p50, "ratio": ratio,
                                     "tokens_identical": identical, "hosts": hosts, "delay_ms": delayMs, "batch": batch]
        if let exchangeShare, let bound {
            object["exchange_share_without_overlap"] = exchangeShare
            object["best_ratio_for_that_share"] = bound
        }
        if try JSONOption.write(object, to: json) { if !identical { throw ExitCode(1) }; return }
        print(Table(header: ["overlap", "step p50", "tokens"], rows: results.map { [$0.name, Format.seconds($0.p50), $0.name == "none" ? "reference" : (identical ? "identical" : "DIFFERENT")] }).render())
        print(String(format: "pingpong ÷ none step time: %.2f (%d hosts, %@ ms link delay, batch %d, %@)", ratio, hosts, String(delayMs), batch, model))
        if let exchangeShare, let bound {
            print(String(format: "without overlap an exchange is in flight %.0f%% of the step: two micro-batches can reach %.2f at best", 100 * exchangeShare, bound)
                  + (bound > 0.75 ? (exchangeShare > 0.5 ? " (the exchange outweighs the compute it could hide behind)" : " (too little exchange to hide)") : ""))
        }
        if !identical { throw ExitCode(1) }
    }
}
