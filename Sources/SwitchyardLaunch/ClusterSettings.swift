import Logging
import SwitchyardWire
import SwitchyardModelConfig
import SwitchyardCluster
import SwitchyardProtocol

/// A cluster file with the choices made on top of it: the transport, if overridden, and how long
/// the handshake and each layer's exchange may take.
public struct ClusterSettings: Sendable {
    public var spec: ClusterSpec
    /// The transport the command asked for instead of the cluster file's.
    public var transportOverride: ClusterTransport?
    public var handshakeTimeout: Duration
    public var exchangeTimeout: Duration
    /// Times a host whose process died is started again (`run` only).
    public var hostRestarts = 3
    /// How long experts with no live host wait for one to come back.
    public var rejoinWait: Duration = .seconds(10)
    /// Most tokens one step may route: frames and ZeroMQ messages larger than that are refused.
    public var maxStepTokens: Int?
    /// A folder of every role's CURVE public keys (and secret keys beside them), for a cluster
    /// file that lists none: a local run's ephemeral keys.
    public var keys: String?
    /// This process's CURVE secret key file, when it is not beside its public key.
    public var secretKey: String?
    /// Where this process's log lines go (the CLI's `--log-level` on standard error); silent by default.
    public var logger: Logger = .silent
    /// The level of `logger`, passed on to the processes this one starts.
    public var logLevel: Logger.Level = .info

    public init(spec: ClusterSpec, transportOverride: ClusterTransport? = nil,
                handshakeTimeout: Duration = .seconds(60), exchangeTimeout: Duration = .seconds(60)) {
        self.spec = spec
        self.transportOverride = transportOverride
        self.handshakeTimeout = handshakeTimeout
        self.exchangeTimeout = exchangeTimeout
    }

    /// Reads the cluster file at `path`.
    public init(path: String, transportOverride: ClusterTransport? = nil,
                handshakeTimeout: Duration = .seconds(60), exchangeTimeout: Duration = .seconds(60)) throws {
        self.init(spec: try ClusterSpec.load(path: path), transportOverride: transportOverride,
                  handshakeTimeout: handshakeTimeout, exchangeTimeout: exchangeTimeout)
    }

    public var transport: ClusterTransport { transportOverride ?? spec.transport }

    /// The same settings for MPI ranks: a hierarchical exchange the file did not ask for becomes
    /// direct (mpirun starts no relays); one it asks for is refused.
    public func overMPI() throws(LaunchInputError) -> ClusterSettings {
        guard let spec = spec.overMPI else {
            throw LaunchInputError("\(spec.file): \"exchange\": \"hierarchical\" needs relay processes, which mpirun does not start: use the zmq or inproc transport, or \"exchange\": \"direct\"")
        }
        var settings = self
        settings.spec = spec
        return settings
    }

    /// The coordinator session's settings these choices give.
    public var sessionSettings: CoordinatorSession.Settings {
        var settings = CoordinatorSession.Settings()
        settings.exchangeTimeout = exchangeTimeout
        settings.rejoinWait = rejoinWait
        return settings
    }

    /// What the frames of this cluster may hold: the model's sizes and the largest step.
    public func wireLimits(_ config: ModelConfig) -> WireLimits {
        WireLimits(config: config, maxTokens: maxStepTokens ?? 65536)
    }

    /// The cluster and transport as flags, for an expert host started as a child process.
    public var hostArguments: [String] {
        ["--cluster", spec.file] + (transportOverride.map { ["--transport", $0.rawValue] } ?? [])
            + (maxStepTokens.map { ["--max-step-tokens", String($0)] } ?? [])
            + ["--log-level", hostLogLevel.rawValue]
    }

    /// The level of hosts this process starts: its own when more verbose than info, else at
    /// least warning, so a run's eight hosts do not repeat its start and stop lines.
    public var hostLogLevel: Logger.Level { logLevel < .info ? logLevel : max(logLevel, .warning) }

    /// The same with the timeouts, for the ranks of an MPI job.
    public var jobArguments: [String] {
        ["--cluster", spec.file, "--handshake-timeout", String(handshakeTimeout.components.seconds),
         "--exchange-timeout", String(exchangeTimeout.components.seconds), "--log-level", logLevel.rawValue]
            + (maxStepTokens.map { ["--max-step-tokens", String($0)] } ?? [])
    }

    /// Each host's ZeroMQ endpoint; an error names the host that has none.
    public func zmqEndpoints(relays: Bool = false) throws(LaunchInputError) -> [String] {
        var endpoints: [String] = []
        let name = relays ? "relays" : "hosts"
        for (index, host) in (relays ? spec.relays : spec.hosts).enumerated() {
            guard case let .zmq(endpoint) = host.endpoint else {
                throw LaunchInputError("\(spec.file): \(name)[\(index)] has \(host.endpoint), which ZeroMQ cannot reach; give it an endpoint or use --transport mpi")
            }
            endpoints.append(endpoint)
        }
        return endpoints
    }
}
