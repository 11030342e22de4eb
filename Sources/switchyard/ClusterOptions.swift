import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardLaunch

/// `--cluster FILE` and the transport to use with it.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster file (docs/CLUSTER.md).") var cluster = "cluster/local-dgx-b200.json"
    @Option(help: "Override the cluster file's transport: zmq, mpi or inproc.") var transport: ClusterTransport?
    @Option(help: "Seconds to wait for every expert host's handshake.") var handshakeTimeout = 60
    @Option(help: "Seconds one layer's exchange may take before the run fails.") var exchangeTimeout = 60

    func validate() throws {
        guard (1...3600).contains(handshakeTimeout), (1...3600).contains(exchangeTimeout) else {
            throw ValidationError("--handshake-timeout and --exchange-timeout must be in 1...3600 seconds")
        }
    }

    func settings() throws -> ClusterSettings {
        try ClusterSettings(path: cluster, transportOverride: transport, handshakeTimeout: .seconds(handshakeTimeout),
                            exchangeTimeout: .seconds(exchangeTimeout))
    }
}

extension ClusterTransport: ExpressibleByArgument {}

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

    var workload: Workload {
        Workload(requests: requests, promptTokens: promptTokens, newTokens: newTokens, maxBatch: maxBatch, out: out, quiet: quiet,
                 metricsPort: metricsPort, metricsAddress: metricsAddress)
    }

    func validate() throws {
        do { try workload.validate() } catch { throw ValidationError(error.description) }
    }
}
