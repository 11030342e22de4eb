import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire

/// `--cluster FILE` and the transport to use with it.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster file (docs/CLUSTER.md).") var cluster = "cluster/local-dgx-b200.json"
    @Option(help: "Override the cluster file's transport: zmq, mpi or inproc.") var transport: ClusterTransport?
    @Option(help: "Seconds to wait for every expert host's handshake.") var handshakeTimeout = 60
    @Option(help: "Seconds one layer's exchange may take before the run fails.") var exchangeTimeout = 60
    @Option(help: "Put the cluster's ipc sockets in this folder instead of the paths the cluster file names (switchyard run gives its hosts a private one per run).")
    var socketDirectory: String?
    @Option(help: "Take every role's CURVE public key from this folder (coordinator.key, host-K.key, secret keys beside them) when the cluster file lists none.")
    var keys: String?
    @Option(help: "This process's CURVE secret key file. Default: beside its public key (NAME.key_secret).")
    var secretKey: String?

    func validate() throws {
        guard (1...3600).contains(handshakeTimeout), (1...3600).contains(exchangeTimeout) else {
            throw ValidationError("--handshake-timeout and --exchange-timeout must be in 1...3600 seconds")
        }
    }

    /// The cluster file, with its ipc sockets moved into `--socket-directory` if given.
    func spec() throws -> ClusterSpec {
        let spec = try ClusterSpec.load(path: cluster)
        return socketDirectory.map(spec.placingIPCSockets) ?? spec
    }

    /// Flags that carry this choice to a child process.
    var arguments: [String] {
        ["--cluster", cluster] + (transport.map { ["--transport", $0.rawValue] } ?? [])
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

    func validate() throws {
        let ranges: [(String, Int, ClosedRange<Int>)] = [
            ("--requests", requests, 1...100_000), ("--prompt-tokens", promptTokens, 1...65536),
            ("--new-tokens", newTokens, 0...65536), ("--max-batch", maxBatch, 1...4096),
        ]
        for (flag, value, range) in ranges where !range.contains(value) {
            throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be in 0...65535, got \(metricsPort)") }
    }

    var arguments: [String] {
        ["--requests", String(requests), "--prompt-tokens", String(promptTokens), "--new-tokens", String(newTokens),
         "--max-batch", String(maxBatch)] + (out.map { ["--out", $0] } ?? []) + (quiet ? ["--quiet"] : [])
            + (metricsPort.map { ["--metrics-port", String($0), "--metrics-address", metricsAddress] } ?? [])
    }
}

