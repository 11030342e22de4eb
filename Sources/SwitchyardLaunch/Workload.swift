import SwitchyardRuntime

/// The workload `run`, `coordinator` and `mpi-job` serve: synthetic requests, how many step
/// together, and where the run directory and metrics go.
public struct Workload: Sendable, Equatable {
    public var requests = 8
    public var promptTokens = 16
    public var newTokens = 16
    public var maxBatch = 8
    /// The run directory; nil: runs/<timestamp>-<pid> (`RunDirectory`).
    public var out: String?
    public var quiet = false
    /// Serve Prometheus metrics on this port while the workload runs (0: any free port).
    public var metricsPort: Int?
    public var metricsAddress = "127.0.0.1"
    /// How a step's exchanges and the coordinator's own work line up.
    public var overlap: Overlap = .none
    /// Faults to inject (`--inject`).
    public var faults: [InjectedFault] = []
    /// Seconds the metrics endpoint stays up after the run, so scrapers see the final values.
    public var metricsLinger = 0

    public init(requests: Int = 8, promptTokens: Int = 16, newTokens: Int = 16, maxBatch: Int = 8, out: String? = nil,
                quiet: Bool = false, metricsPort: Int? = nil, metricsAddress: String = "127.0.0.1") {
        self.requests = requests
        self.promptTokens = promptTokens
        self.newTokens = newTokens
        self.maxBatch = maxBatch
        self.out = out
        self.quiet = quiet
        self.metricsPort = metricsPort
        self.metricsAddress = metricsAddress
    }

    /// Checks every figure against what a run can serve; the error names the flag.
    public func validate() throws(LaunchInputError) {
        let ranges: [(String, Int, ClosedRange<Int>)] = [
            ("--requests", requests, 1...100_000), ("--prompt-tokens", promptTokens, 1...65536),
            ("--new-tokens", newTokens, 0...65536), ("--max-batch", maxBatch, 1...4096),
        ]
        for (flag, value, range) in ranges where !range.contains(value) {
            throw LaunchInputError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw LaunchInputError("--metrics-port must be in 0...65535, got \(metricsPort)")
        }
    }

    /// The same workload as flags, for the ranks of an MPI job.
    public var arguments: [String] {
        var arguments = ["--requests", String(requests), "--prompt-tokens", String(promptTokens), "--new-tokens", String(newTokens),
                         "--max-batch", String(maxBatch)]
        if overlap != .none { arguments += ["--overlap", overlap.rawValue] }
        if let out { arguments += ["--out", out] }
        if quiet { arguments.append("--quiet") }
        if let metricsPort { arguments += ["--metrics-port", String(metricsPort), "--metrics-address", metricsAddress] }
        if metricsLinger > 0 { arguments += ["--metrics-linger", String(metricsLinger)] }
        for fault in faults { arguments += ["--inject", fault.description] }
        return arguments
    }

    /// Tokens the workload generates in all.
    public var totalNewTokens: Int { requests * newTokens }
}
