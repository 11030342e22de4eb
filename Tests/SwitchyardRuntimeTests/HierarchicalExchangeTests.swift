import Foundation
import Testing
import SwitchyardModel
import SwitchyardWire
import SwitchyardProtocol
import SwitchyardTransport
import SwitchyardTraffic
@testable import SwitchyardRuntime
import SwitchyardCore
import SwitchyardModelConfig

/// The hierarchical exchange: node relays between the coordinator and the hosts give the
/// one-process answer, and the coordinator sends each token once per node.
@Suite struct HierarchicalExchangeTests {
    let config = ModelPreset.tiny.config
    let prompt = [3, 141, 59, 265, 358, 97, 93, 238, 46, 264, 338, 327]

    func logits(_ source: WeightSource, experts: RoutedExpertBackend) throws -> [Float] {
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        return try model.step([SequenceStep(cache: KVCache(config: config), tokens: prompt)], experts: experts)
    }

    @Test(arguments: [[0, 0, 0, 0, 1, 1, 1, 1], [0, 1, 0, 1, 2, 2, 3, 3], [0, 0, 0]])
    func float32MatchesOneProcessAndSendsATokenOncePerNode(relayOfHost: [Int]) throws {
        let source = SyntheticWeights(config: config, seed: 11)
        let reference = try logits(source, experts: LocalExperts(
            weights: try RoutedExpertWeights(config: config, source: source, owned: Array(0..<config.nRoutedExperts)), hiddenSize: config.hiddenSize))
        let placement = try Placement(.roundRobin, experts: config.nRoutedExperts, hosts: relayOfHost.count)
        let cluster = try InProcessCluster(config: config, placement: placement, relayOfHost: relayOfHost, source: source, payload: .f32)
        let values = try logits(source, experts: cluster.experts)
        let totals = cluster.experts.totals
        cluster.stop()
        #expect(cluster.hostFailures.isEmpty, "\(cluster.hostFailures)")
        let largest = reference.map(abs).max()!
        let worst = zip(values, reference).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-5 * largest, "max |Δ| \(worst) of \(largest)")

        // The same exchange direct: each host gets a copy of the token; via relays, each node one.
        let direct = try InProcessCluster(config: config, placement: placement, source: source, payload: .f32)
        _ = try logits(source, experts: direct.experts)
        let directTotals = direct.experts.totals
        direct.stop()
        let relays = Set(relayOfHost).count
        #expect(totals.dispatchMessages.allSatisfy { (1...relays).contains($0) }, "\(totals.dispatchMessages)")
        let hierarchical = totals.dispatchBytes.reduce(0, +), flat = directTotals.dispatchBytes.reduce(0, +)
        if relays < relayOfHost.count { #expect(hierarchical < flat, "\(hierarchical) ≥ \(flat) bytes") }
        // Every host still did its share: the hosts' own ledgers hold their dispatches.
        #expect(Set(cluster.hostRecords.filter { $0.kind == .dispatch }.map(\.layer)).count == config.moeLayerCount)
    }

    /// A relay refuses an expert its node does not hold (and goes on serving), rather than
    /// handing its hosts a plan that would fail their session.
    @Test func aRelayRefusesAnExpertItsNodeLacks() throws {
        let source = SyntheticWeights(config: config, seed: 3)
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 4)
        let relayOfHost = [0, 0, 1, 1]
        let top = placement.grouped(relayOfHost: relayOfHost, relays: 2)
        let node = InProcessNetwork(hosts: 2)
        let upward = InProcessNetwork(hosts: 1)
        let members = [0, 1]
        let nodePlacement = placement.restricted(to: members)
        let hosts = try members.indices.map { local in
            try ExpertHost(index: local, config: config, placement: nodePlacement, source: source, transport: node.host(local), traffic: nil)
        }
        let done = DispatchGroup()
        for host in hosts {
            done.enter()
            Thread { _ = try? host.serve(); done.leave() }.start()
        }
        let relay = NodeRelay(relay: 0, config: config, placement: top, nodePlacement: nodePlacement, payload: .f32,
                              upward: upward.host(0), downward: node.coordinator, weightsFingerprint: source.fingerprint,
                              limits: WireLimits(config: config))
        try relay.handshake(timeout: .seconds(10))
        let foreign = placement.experts(of: 2)[0], own = placement.experts(of: 0)[0]
        func dispatch(_ expert: Int) -> WireFrame {
            var routes = TokenRoutes()
            routes.beginRow(token: 0)
            routes.appendPair(expert: UInt32(expert), weight: 0.5)
            let rows = ActivationRows(rows: 1, width: config.hiddenSize, floats: (0..<config.hiddenSize).map { Float($0) / 100 }, as: .f32)
            return WireFrame(address: FrameAddress(step: 1, layer: config.firstKDenseReplace), host: 0,
                             body: .dispatch(Dispatch(routes: routes, activations: rows, combineType: .f32)))
        }
        let refused = Result { try relay.server.answer(dispatch(foreign)) }
        #expect(throws: HostComputationError.expertNotLocal(expert: foreign, host: 0)) { try refused.get() }
        let answered = try relay.server.answer(dispatch(own))
        guard case let .combine(combine) = answered.body else { Issue.record("no combine"); return }
        #expect(combine.tokens == [0] && combine.partialSums.floats.contains { $0 != 0 })
        relay.experts.shutdown()
        _ = done.wait(timeout: .now() + 10)
    }
}
