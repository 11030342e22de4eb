import SwitchyardCore
import SwitchyardKernels
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardProtocol
import SwitchyardTransport
import SwitchyardWire
@testable import SwitchyardRuntime

/// A coordinator and `hosts` expert hosts of the tiny model on an `EmbeddedNetwork`: the real
/// drivers and sessions, one thread, virtual time.
struct EmbeddedCluster {
    let config = ModelPreset.tiny.config
    let network: EmbeddedNetwork
    let placement: Placement
    let source: SyntheticWeights
    let coordinator: ClusterExperts
    let servers: [ExpertHostServer]

    /// `hostSeed(h)` gives host h other weights than the coordinator expects when it differs from `seed`.
    init(hosts: Int = 4, replicas: Int = 1, seed: UInt64 = 7, hostSeed: (Int) -> UInt64 = { _ in 7 }, attached: Bool = true,
         exchangeTimeout: Duration = .seconds(60), settings: CoordinatorSession.Settings = CoordinatorSession.Settings()) throws {
        network = EmbeddedNetwork(hosts: hosts)
        placement = try Placement(.roundRobin, experts: config.nRoutedExperts, hosts: hosts, replicas: replicas)
        source = SyntheticWeights(config: config, seed: seed)
        let limits = WireLimits(config: config)
        var servers: [ExpertHostServer] = []
        for host in 0..<hosts {
            servers.append(try Self.server(host, seed: hostSeed(host), config: config, placement: placement, network: network))
        }
        self.servers = servers
        coordinator = ClusterExperts(config: config, placement: placement, payload: .f32, transport: network.coordinator(),
                                     weightsFingerprint: source.fingerprint, limits: limits, exchangeTimeout: exchangeTimeout,
                                     settings: settings, clock: network.clock)
        if attached { servers.forEach(network.attach) }
    }

    static func server(_ host: Int, seed: UInt64, config: ModelConfig, placement: Placement, network: EmbeddedNetwork) throws -> ExpertHostServer {
        let hostSource = SyntheticWeights(config: config, seed: seed)
        return ExpertHostServer(index: host, config: config, placement: placement,
                                experts: try RoutedExpertWeights(config: config, source: hostSource, owned: placement.experts(of: host)),
                                weightsFingerprint: hostSource.fingerprint, transport: network.hostLink(host), limits: WireLimits(config: config),
                                clock: network.clock)
    }

    /// Host `host` as a new process: a new incarnation with the same slice, attached in place of the old.
    func restart(_ host: Int) throws -> ExpertHostServer {
        let server = try Self.server(host, seed: 7, config: config, placement: placement, network: network)
        network.attach(server)
        return server
    }

    var moeLayer: Int { (0..<config.numHiddenLayers).first(where: config.isMoELayer)! }

    /// A seeded batch: activations and a routing of distinct experts per token.
    func batch(tokens: Int, seed: UInt64 = 3) -> (input: [Float], routing: RoutingDecision) {
        var random = SplitMix64(seed: seed)
        let input = (0..<tokens * config.hiddenSize).map { _ in random.nextFloat() * 2 - 1 }
        var experts: [Int32] = [], weights: [Float] = []
        for _ in 0..<tokens {
            var chosen: [Int32] = []
            while chosen.count < config.numExpertsPerTok {
                let expert = Int32(random.next() % UInt64(config.nRoutedExperts))
                if !chosen.contains(expert) { chosen.append(expert) }
            }
            experts += chosen
            weights += chosen.map { _ in random.nextFloat() }
        }
        return (input, RoutingDecision(tokenCount: tokens, topK: config.numExpertsPerTok, experts: experts, weights: weights))
    }

    /// The same layer computed in one process, every expert local.
    func reference(_ input: [Float], _ routing: RoutingDecision) throws -> [Float] {
        let local = LocalExperts(weights: try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts)),
                                 hiddenSize: config.hiddenSize)
        return try local.routedExperts(layer: moeLayer, input: input, tokens: routing.tokenCount, routing: routing)
    }

    func exchange(_ input: [Float], _ routing: RoutingDecision) throws -> [Float] {
        try coordinator.routedExperts(layer: moeLayer, input: input, tokens: routing.tokenCount, routing: routing)
    }
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
