import ArgumentParser
import Foundation
import Logging
import SwitchyardCluster
import SwitchyardLaunch
import SwitchyardRuntime

/// `--cluster FILE` and the transport to use with it.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster file (docs/CLUSTER.md). Default: cluster/local-dgx-b200.json, in the working directory or above the executable.")
    var cluster: String?
    @Option(help: "Override the cluster file's transport: zmq, mpi or inproc.") var transport: ClusterTransport?
    @Option(help: "Seconds to wait for every expert host's handshake.") var handshakeTimeout = 60
    @Option(help: "Seconds one layer's exchange may take before the run fails.") var exchangeTimeout = 60
    @Option(help: "Most tokens one step may route (the wire limit: larger frames are refused, larger ZeroMQ messages dropped). Default: --max-batch × --prompt-tokens where a workload runs, else 65536.")
    var maxStepTokens: Int?
    @Option(help: "Times `run` starts a host again after its process died (with backoff), per host.") var hostRestarts = 3
    @Option(help: "Seconds a layer whose experts have no live host waits for one to come back before the run fails.") var rejoinWait = 10
    @Option(help: "Put the cluster's ipc sockets in this folder instead of the paths the cluster file names (switchyard run gives its hosts a private one per run).")
    var socketDirectory: String?
    @Option(help: "Take every role's CURVE public key from this folder (coordinator.key, host-K.key, secret keys beside them) when the cluster file lists none.")
    var keys: String?
    @Option(help: "This process's CURVE secret key file. Default: beside its public key (NAME.key_secret).")
    var secretKey: String?
    @Option(help: ArgumentHelp("Log lines at this level and above, on standard error: trace, debug, info, notice, warning, error or critical. Hosts started by this command log at warning unless it is below info.", valueName: "level"))
    var logLevel: Logger.Level = .info

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

    /// These options with the step limit taken from `workload` unless given.
    func sized(for workload: WorkloadOptions) -> ClusterOptions {
        var options = self
        if options.maxStepTokens == nil { options.maxStepTokens = workload.maxBatch * workload.promptTokens }
        return options
    }

    func settings() throws -> ClusterSettings {
        var settings = try ClusterSettings(path: DefaultCluster.path(cluster), transportOverride: transport, handshakeTimeout: .seconds(handshakeTimeout),
                                           exchangeTimeout: .seconds(exchangeTimeout))
        settings.hostRestarts = hostRestarts
        settings.rejoinWait = .seconds(rejoinWait)
        settings.maxStepTokens = maxStepTokens
        if let socketDirectory { settings.spec = settings.spec.placingIPCSockets(in: socketDirectory) }
        settings.keys = keys
        settings.secretKey = secretKey
        settings.logLevel = logLevel
        settings.logger = CommandLog.logger("switchyard", level: logLevel)
        return settings
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
    @Flag(help: "Print no progress while running; the summary still prints at the end.") var quiet = false
    @Option(help: "Serve Prometheus metrics at http://ADDRESS:PORT/metrics while the workload runs (0: any free port).") var metricsPort: Int?
    @Option(help: "Address the metrics endpoint binds.") var metricsAddress = "127.0.0.1"
    @Option(help: "Seconds the metrics endpoint stays up after the workload, so scrapers see the final values.") var metricsLinger = 0
    @Option(help: "none: each layer waits for its exchange; pingpong: two micro-batches, one's attention while the other's experts are in flight.")
    var overlap: Overlap = .none
    @Option(name: .customLong("inject"), help: ArgumentHelp(
        "A fault to inject (repeatable): kill:host=K@step=N, stop:host=K@step=N,for=2s, delay:host=K,ms=5, drop:host=K,rate=0.01.",
        valueName: "fault"))
    var injectText: [String] = []

    var workload: Workload {
        var workload = Workload(requests: requests, promptTokens: promptTokens, newTokens: newTokens, maxBatch: maxBatch, out: out, quiet: quiet,
                                metricsPort: metricsPort, metricsAddress: metricsAddress)
        workload.overlap = overlap
        workload.metricsLinger = metricsLinger
        workload.faults = (try? faults()) ?? []
        return workload
    }

    /// The `--inject` faults; their hosts are checked against the cluster when it is known.
    func faults() throws(InjectedFaultError) -> [InjectedFault] {
        try injectText.map { text throws(InjectedFaultError) in try InjectedFault(parsing: text, hosts: InjectedFault.anyHost) }
    }

    func validate() throws {
        do { _ = try faults() } catch { throw ValidationError(error.description) }
        do { try workload.validate() } catch { throw ValidationError(error.description) }
        try FlagBounds.check([("--metrics-linger", metricsLinger, 0...3600)])
        if metricsLinger > 0, metricsPort == nil { throw ValidationError("--metrics-linger needs --metrics-port") }
    }
}
