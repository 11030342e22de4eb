import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardTopology
import SwitchyardTraffic
import SwitchyardCore

struct BenchFaults: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Inject faults into real runs and measure how the cluster lives through them.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench faults [<options>]",
        discussion: """
        Runs the workload once without faults, then --runs times with faults injected
        into expert host processes (a SIGKILL, then a SIGSTOP for --stop-seconds, on
        different hosts and steps), each a `switchyard run` of its own on a cluster of
        --hosts local hosts holding every expert twice ("replicas": 2). Prints faults
        injected, requests lost, whether every run's tokens equal the fault-free run's,
        detection and recovery times (p50, max), and for each kind of fault the
        tokens/s while it lasted (from the fault until the host was back) against the
        same length of run just before it, read off the run's steps; all measured in
        the same invocation.

        Example: switchyard bench faults --runs 4
        Defaults: 8 hosts, 4 runs (8 faults), tiny model, 8 requests of 8 new tokens...
        see the options.
        """
    )

    @Option(help: "Expert hosts (local processes over ZeroMQ ipc).") var hosts = 8
    @Option(help: "Runs with faults (two faults each).") var runs = 4
    @Option(help: "Model preset.") var model = "mini"
    @Option(help: "Requests per run.") var requests = 8
    @Option(help: "Tokens generated per request.") var newTokens = 48
    @Option(help: "How long a stopped host stays stopped.") var stopSeconds = 2.0
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        guard (2...64).contains(hosts) else { throw ValidationError("--hosts must be in 2...64, got \(hosts)") }
        guard (1...100).contains(runs) else { throw ValidationError("--runs must be in 1...100, got \(runs)") }
        guard (1...1000).contains(requests), (8...10_000).contains(newTokens) else {
            throw ValidationError("--requests must be in 1...1000 and --new-tokens in 8...10000")
        }
        guard stopSeconds > 0, stopSeconds <= 60 else { throw ValidationError("--stop-seconds must be in (0, 60], got \(stopSeconds)") }
    }

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-bench-faults-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cluster = try clusterFile(in: folder)
        let baseline = try workload(cluster, out: folder.appendingPathComponent("baseline").path, inject: [])
        var detections: [Double] = [], recoveries: [Double] = [], rates: [Double] = []
        var around: [String: [(before: Double, during: Double)]] = [:]
        var faults = 0, lost = 0, identical = true
        // Faults strike well into the run (about 30% and 60% of its steps), so there is a steady
        // stretch before each to compare with.
        let steps = (requests + 3) / 4 * newTokens
        for index in 0..<runs {
            // Different hosts and steps each run: a kill, then a stop later.
            let killed = (2 * index) % hosts, stopped = (2 * index + hosts / 2 + 1) % hosts
            let inject = ["kill:host=\(killed)@step=\(max(3, steps * 3 / 10) + index)",
                          "stop:host=\(stopped)@step=\(max(6, steps * 6 / 10) + index),for=\(stopSeconds)s"]
            let summary = try workload(cluster, out: folder.appendingPathComponent("run-\(index)").path, inject: inject)
            identical = identical && summary.outputs == baseline.outputs
            lost += baseline.outputs.count - summary.outputs.filter { !$0.isEmpty }.count
            rates.append(summary.tokensPerSecond)
            for fault in summary.injected {
                faults += 1
                if let detected = fault.detected { detections.append(detected) }
                if let recovered = fault.recovered { recoveries.append(recovered) }
                // While it lasted: until the host was back (or, not back, until it was found lost).
                if let window = summary.timeline.aroundFault(at: fault.at, lasting: fault.recovered ?? fault.detected ?? 1) {
                    around[fault.kind, default: []].append(window)
                }
            }
        }
        func quantile(_ values: [Double], _ q: Double) -> String {
            guard !values.isEmpty else { return "-" }
            let sorted = values.sorted()
            return Format.seconds(sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))])
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }
        let during = mean(rates)
        var rows: [[String]] = [
            ["faults injected", "\(faults) (\(runs) run\(runs == 1 ? "" : "s") × kill + stop \(stopSeconds) s, \(hosts) hosts, replicas 2, \(model))"],
            ["requests lost", String(lost)],
            ["tokens identical", identical ? "yes" : "NO"],
            ["detection p50 / max", "\(quantile(detections, 0.5)) / \(quantile(detections, 1))"],
            ["recovery p50 / max", "\(quantile(recoveries, 0.5)) / \(quantile(recoveries, 1)) (the host back in use)"],
        ]
        for kind in around.keys.sorted() {
            let windows = around[kind]!, before = mean(windows.map(\.before)), inside = mean(windows.map(\.during))
            rows.append(["tokens/s before → during \(kind)",
                         String(format: "%.1f → %.1f (%.2f×, mean of %d)", before, inside, inside / max(before, 1e-9), windows.count)])
        }
        rows.append(["tokens/s whole runs with ÷ without", String(format: "%.2f (%.1f ÷ %.1f)", during / max(baseline.tokensPerSecond, 1e-9), during, baseline.tokensPerSecond)])
        var object: [String: Any] = ["faults": faults, "requests_lost": lost, "tokens_identical": identical,
                                     "detection_seconds": detections, "recovery_seconds": recoveries,
                                     "tokens_per_second_with_faults": during, "tokens_per_second_without": baseline.tokensPerSecond]
        for (kind, windows) in around {
            object["tokens_per_second_before_\(kind)"] = windows.map(\.before)
            object["tokens_per_second_during_\(kind)"] = windows.map(\.during)
        }
        if try !JSONOption.write(object, to: json) { print(Table(header: ["measure", "value"], rows: rows).render()) }
        if lost > 0 || !identical { throw ExitCode(1) }
    }

    struct Outcome {
        var outputs: [[Int]]
        var tokensPerSecond: Double
        var injected: [(kind: String, at: Double, detected: Double?, recovered: Double?)]
        var timeline: StepTimeline
    }

    func clusterFile(in folder: URL) throws -> String {
        let hostList = (0..<hosts).map { #"{"endpoint": "ipc://\#(folder.path)/h\#($0)", "device": {"node": 0, "gpu": \#($0 % 8)}}"# }
        let json = """
        {"topology": "\(TopologyPresets.resolve("dgx-b200").path)", "transport": "zmq", "payload": "f32", "placement": "round-robin",
         "replicas": 2, "coordinator": {"endpoint": "ipc://\(folder.path)/coordinator", "device": {"node": 0, "gpu": 0}},
         "hosts": [\(hostList.joined(separator: ", "))]}
        """
        let file = folder.appendingPathComponent("cluster.json").path
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// One `switchyard run` of this executable, and what its summary.json says.
    func workload(_ cluster: String, out: String, inject: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["run", "--cluster", cluster, "--model", model, "--requests", String(requests), "--prompt-tokens", "8",
                             "--new-tokens", String(newTokens), "--max-batch", "4", "--out", out, "--quiet"] + inject.flatMap { ["--inject", $0] }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("switchyard run \(inject.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let outputs = object["outputs"] as? [[String: Any]], let rate = object["tokens_per_second"] as? Double else {
            throw ValidationError("\(out)/summary.json: no outputs or tokens_per_second")
        }
        let injected = ((object["faults"] as? [String: Any])?["injected"] as? [[String: Any]] ?? []).map {
            (kind: String(($0["fault"] as? String ?? "fault").prefix { $0 != ":" }), at: $0["at_seconds"] as? Double ?? 0,
             detected: $0["detected_after_seconds"] as? Double, recovered: $0["recovered_after_seconds"] as? Double)
        }
        let trafficFile = out + "/traffic.jsonl"
        let ledger = try TrafficJSONL.decode(try Data(contentsOf: URL(fileURLWithPath: trafficFile)), file: trafficFile)
        let generated = outputs.sorted { ($0["request"] as? Int ?? 0) < ($1["request"] as? Int ?? 0) }.map { $0["generated"] as? [Int] ?? [] }
        return Outcome(outputs: generated, tokensPerSecond: rate, injected: injected, timeline: StepTimeline(ledger.steps))
    }
}
