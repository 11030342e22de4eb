import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire
import SwitchyardModelConfig

/// `--cluster FILE` and the transport to use with it.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster file (docs/CLUSTER.md).") var cluster = "cluster/local-dgx-b200.json"
    @Option(help: "Override the cluster file's transport: zmq, mpi or inproc.") var transport: ClusterTransport?
    @Option(help: "Seconds to wait for every expert host's handshake.") var handshakeTimeout = 60
    @Option(help: "Seconds one layer's exchange may take before the run fails.") var exchangeTimeout = 60
    @Option(help: "Most tokens one step may route (the wire limit: larger frames are refused, larger ZeroMQ messages dropped). Default: --max-batch × --prompt-tokens where a workload runs, else 65536.")
    var maxStepTokens: Int?
    @Option(help: "Times `run` starts a host again after its process died (with backoff), per host.") var hostRestarts = 3
    @Option(help: "Seconds a layer whose experts have no live host waits for one to come back before the run fails.") var rejoinWait = 10

    func validate() throws {
        guard (1...3600).contains(handshakeTimeout), (1...3600).contains(exchangeTimeout) else {
            throw ValidationError("--handshake-timeout and --exchange-timeout must be in 1...3600 seconds")
        }
        guard (0...100).contains(hostRestarts) else { throw ValidationError("--host-restarts must be in 0...100, got \(hostRestarts)") }
        guard (0...3600).contains(rejoinWait) else { throw ValidationError("--rejoin-wait must be in 0...3600 seconds, got \(rejoinWait)") }
        if let maxStepTokens { try FlagBounds.check([("--max-step-tokens", maxStepTokens, Self.stepTokens)]) }
    }

    /// Up to --max-batch 4096 sequences of --prompt-tokens 65536 each.
    static let stepTokens = 1...(1 << 28)

    /// What the frames of this cluster may hold: the model's sizes and the largest step.
    func wireLimits(_ config: ModelConfig) -> WireLimits {
        WireLimits(config: config, maxTokens: maxStepTokens ?? 65536)
    }

    /// These options with the step limit taken from `workload` unless given.
    func sized(for workload: WorkloadOptions) -> ClusterOptions {
        var options = self
        if options.maxStepTokens == nil { options.maxStepTokens = workload.maxBatch * workload.promptTokens }
        return options
    }

    func spec() throws -> ClusterSpec { try ClusterSpec.load(path: cluster) }

    /// The coordinator session's settings these flags give.
    var sessionSettings: CoordinatorSession.Settings {
        var settings = CoordinatorSession.Settings()
        settings.exchangeTimeout = .seconds(exchangeTimeout)
        settings.rejoinWait = .seconds(rejoinWait)
        return settings
    }

    /// Flags that carry this choice to a child process.
    var arguments: [String] {
        ["--cluster", cluster] + (transport.map { ["--transport", $0.rawValue] } ?? [])
            + (maxStepTokens.map { ["--max-step-tokens", String($0)] } ?? [])
            + ["--host-restarts", String(hostRestarts), "--rejoin-wait", String(rejoinWait)]
    }
}

extension ClusterTransport: ExpressibleByArgument {}
extension Overlap: ExpressibleByArgument {}

/// The workload `run`, `coordinator` and `mpi-job` drive.
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Requests to serve.") var requests = 8
    @Option(help: "Prompt tokens per request.") var promptTokens = 16
    @Option(help: "Tokens generated per request.") var newTokens = 16
    @Option(help: "Sequences stepped together; waiting requests join as others finish.") var maxBatch = 8
    @Option(help: "Run directory for summary.json. Default: runs/<timestamp>.") var out: String?
    @Flag(help: "Print nothing while running.") var quiet = false
    @Option(help: "Serve Prometheus metrics at http://ADDRESS:PORT/metrics while the workload runs (0: any free port).") var metricsPort: Int?
    @Option(help: "Address the metrics endpoint binds.") var metricsAddress = "127.0.0.1"
    @Option(help: "Seconds the metrics endpoint stays up after the workload, so scrapers see the final values.") var metricsLinger = 0
    @Option(help: "none: each layer waits for its exchange; pingpong: two micro-batches, one's attention while the other's experts are in flight.")
    var overlap: Overlap = .none
    @Option(name: .customLong("inject"), help: ArgumentHelp(
        "A fault to inject (repeatable): kill:host=K@step=N, stop:host=K@step=N,for=2s, delay:host=K,ms=5, drop:host=K,rate=0.01.",
        valueName: "fault"))
    var injectText: [String] = []

    func validate() throws {
        let ranges: [(String, Int, ClosedRange<Int>)] = [
            ("--requests", requests, 1...100_000), ("--prompt-tokens", promptTokens, 1...65536),
            ("--new-tokens", newTokens, 0...65536), ("--max-batch", maxBatch, 1...4096),
        ]
        for (flag, value, range) in ranges where !range.contains(value) {
            throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be in 0...65535, got \(metricsPort)") }
        try FlagBounds.check([("--metrics-linger", metricsLinger, 0...3600)])
        if metricsLinger > 0, metricsPort == nil { throw ValidationError("--metrics-linger needs --metrics-port") }
    }

    /// The `--inject` faults, checked against the cluster's host count.
    func faults(hosts: Int) throws -> [InjectedFault] {
        do { return try injectText.map { text throws(InjectedFaultError) in try InjectedFault(parsing: text, hosts: hosts) } } catch {
            throw ValidationError(error.description)
        }
    }

    var arguments: [String] {
        var arguments = ["--requests", String(requests), "--prompt-tokens", String(promptTokens), "--new-tokens", String(newTokens),
                         "--max-batch", String(maxBatch), "--overlap", overlap.rawValue]
        if let out { arguments += ["--out", out] }
        if quiet { arguments.append("--quiet") }
        if let metricsPort { arguments += ["--metrics-port", String(metricsPort), "--metrics-address", metricsAddress, "--metrics-linger", String(metricsLinger)] }
        for fault in injectText { arguments += ["--inject", fault] }
        return arguments
    }
}

