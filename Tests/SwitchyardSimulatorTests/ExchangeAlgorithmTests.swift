import Foundation
import Testing
@testable import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardModelConfig

/// Byte, message and token counts of each exchange algorithm on hand-computed cases, per-message and
/// per-token port costs, and node-limited routing.
@Suite struct ExchangeAlgorithmTests {
    /// Two nodes of two GPUs (devices 0, 1 on n0; 2, 3 on n1), rail-optimized; 1,000-byte tokens out
    /// (500 bf16 values), 2,000 back (float32), framed as the wire frames them: a dispatch of t tokens
    /// and p pairs is 64 + 8t + 8p + 1000t bytes, a combine 64 + 4t + 2000t.
    /// One token from device 0 whose four experts sit on devices 1, 2, 3 and 3.
    func plan(_ algorithm: ExchangeAlgorithm, topology: Topology = testTopology(nodes: 2, gpus: 2, railOptimized: true))
        -> (dispatch: PairTraffic, combine: PairTraffic) {
        var planner = ExchangePlanner(links: LinkModel(topology: topology), topology: topology, algorithm: algorithm,
                                      sizing: MessageSizing(hidden: 500, dispatch: .bf16, combine: .fp32))
        planner.add(source: 0, owners: [1, 2, 3, 3])
        return planner.traffic()
    }

    func nonzero(_ values: [Double]) -> [Int: Double] {
        Dictionary(uniqueKeysWithValues: values.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) })
    }

    @Test func directSendsOncePerDevice() {
        let t = plan(.direct)
        // Pair p = src × 4 + dst. Each device: one frame of the token, with 8 bytes per expert there.
        #expect(nonzero(t.dispatch.bytes) == [1: 1080, 2: 1080, 3: 1088])
        #expect(nonzero(t.dispatch.tokens) == [1: 1, 2: 1, 3: 1])
        #expect(nonzero(t.dispatch.messages) == [1: 1, 2: 1, 3: 1])
        #expect(nonzero(t.combine.bytes) == [4: 2068, 8: 2068, 12: 2068])
        #expect(!t.dispatch.direct && t.dispatch.routeLatency == nil)
    }

    @Test func hierarchicalCrossesTheNetworkOncePerNodeAndReducesBeforeCrossingBack() {
        let t = plan(.hierarchical)
        // Own node: 0 → 1 directly. Node n1: once to device 2 (rail 0) with the metadata of its three
        // experts, then device 2 forwards to device 3 with that device's two.
        #expect(nonzero(t.dispatch.bytes) == [1: 1080, 2: 1096, 11: 1088])
        #expect(nonzero(t.dispatch.tokens) == [1: 1, 2: 1, 11: 1])
        // Device 3's partial goes to device 2, which sends one sum to device 0.
        #expect(nonzero(t.combine.bytes) == [4: 2068, 8: 2068, 14: 2068])
        #expect(t.dispatch.sent(devices: 4) == [2176, 0, 1088, 0])
        // Network then fabric: 5 µs + 2 µs.
        #expect(close(t.dispatch.routeLatency!, 7e-6) && close(t.combine.routeLatency!, 7e-6))
        // The network carries 1,096 bytes instead of direct's 2,168.
        let links = LinkModel(topology: testTopology(nodes: 2, gpus: 2, railOptimized: true))
        var ports: [Double] = [], direct: [Double] = []
        _ = links.exchange(t.dispatch, portBytes: &ports)
        _ = links.exchange(plan(.direct).dispatch, portBytes: &direct)
        let nicOut = links.ports.firstIndex { $0.name == "n0/g0 NIC out" }!
        #expect(ports[nicOut] == 1096 && direct[nicOut] == 2168)
    }

    @Test func hierarchicalOnOneNodeIsDirect() {
        let topology = testTopology(gpus: 4)
        #expect(plan(.hierarchical, topology: topology).dispatch.bytes == plan(.direct, topology: topology).dispatch.bytes)
        #expect(plan(.hierarchical, topology: topology).combine.bytes == plan(.direct, topology: topology).combine.bytes)
    }

    @Test func lowLatencySendsEveryPairOnItsOwn() {
        let t = plan(.lowLatency)
        #expect(nonzero(t.dispatch.bytes) == [1: 1080, 2: 1080, 3: 2160])
        #expect(nonzero(t.dispatch.messages) == [1: 1, 2: 1, 3: 2])
        #expect(nonzero(t.dispatch.tokens) == [1: 1, 2: 1, 3: 2])
        #expect(nonzero(t.combine.bytes) == [4: 2068, 8: 2068, 12: 4136])
        #expect(t.dispatch.direct)
    }

    @Test func messageAndTokenCostsSerializeOnEachPort() {
        // 1 µs a message and 0.5 µs a token on the network. Low-latency: device 0's NIC sends three
        // messages of 3,240 bytes in all (to device 2, and two to device 3 NIC to NIC, not via rail 0).
        var topology = testTopology(nodes: 2, gpus: 2, railOptimized: true)
        topology.scaleOut!.costs = TransferCosts(messageSeconds: 1e-6, tokenSeconds: 0.5e-6)
        let links = LinkModel(topology: topology)
        #expect(links.path(from: 0, to: 3, direct: true).map { links.ports[$0].name } == ["n0/g0 NIC out", "n1/g1 NIC in"])
        var ports: [Double] = []
        let t = links.exchange(plan(.lowLatency, topology: topology).dispatch, portBytes: &ports)
        #expect(links.ports[t.busiestPort!].name == "n0/g0 NIC out")
        #expect(close(t.seconds, 3240 / 12.5e9 + 3 * 1e-6 + 3 * 0.5e-6 + 5e-6))
        #expect(close(t.latencySeconds, 5e-6))
        // Costs are the topology file's: durations, zero when absent, never negative.
        let json = #"{"gpu_models": {"G": {"memory": "80 GB", "hbm_bandwidth": "3 TB/s", "dense_throughput": {"bf16": 989}}}, "nodes": [{"name": "n", "gpu_model": "G", "gpus": 2}], "scale_up": {"bandwidth_each_way": "450 GB/s", "latency": "3 us", "message_cost": "25 ns", "token_cost": 0.5}}"#
        let decoded = try? Topology.decode(Data(json.utf8), file: "t.json")
        #expect(close(decoded?.scaleUp.costs.messageSeconds ?? 0, 25e-9) && close(decoded?.scaleUp.costs.tokenSeconds ?? 0, 0.5e-6))
        let negative = json.replacingOccurrences(of: "\"25 ns\"", with: "\"-25 ns\"")
        #expect(throws: TopologyError.self) { try Topology.decode(Data(negative.utf8), file: "t.json") }
    }

    @Test func nodeLimitedRoutingNeverReachesMoreNodes() {
        // 256 experts in 16 groups of 16; top-8 from at most 2 groups, uniform and zipf.
        let groups = GroupLimit(groupOfExpert: (0..<256).map { $0 / 16 }, limit: 2)
        for distribution in [RoutingDistribution.uniform, .zipf(1.1)] {
            let generator = RoutingGenerator(distribution: distribution, experts: 256, topK: 8, layers: 2, seed: 5, groupLimit: groups)
            var a = [Int32](repeating: 0, count: 8), b = a
            var mostGroups = 0, twoGroupTokens = 0
            for token in 0..<4000 {
                generator.route(step: 1, layer: 1, token: token, into: &a, at: 0)
                generator.route(step: 1, layer: 1, token: token, into: &b, at: 0)
                #expect(a == b && Set(a).count == 8)
                let reached = Set(a.map { Int($0) / 16 }).count
                mostGroups = max(mostGroups, reached)
                if reached == 2 { twoGroupTokens += 1 }
            }
            #expect(mostGroups == 2, "\(distribution)")
            #expect(twoGroupTokens > 2000, "\(distribution): the limit, not chance, keeps tokens to two groups")
        }
        #expect(GroupLimit(groupOfExpert: [0, 0, 1, 1], limit: 1).problem(topK: 3) != nil)
        #expect(GroupLimit(groupOfExpert: [0, 0, 1, 1], limit: 0).problem(topK: 1) != nil)
        #expect(GroupLimit(groupOfExpert: [5, 5, 9, 9], limit: 1).groupOfExpert == [0, 0, 1, 1])
    }

    @Test func allToAllCountsNodesPerToken() {
        // 4 nodes of 2 GPUs, 64 experts, top-8: unlimited tokens often reach all 4 nodes; limited, never more than 2.
        let topology = testTopology(nodes: 4, gpus: 2, railOptimized: true)
        func spread(_ limit: Int?) -> RoutingSpread {
            AllToAll.simulate(topology: topology, ranks: 8, tokensPerRank: 64, hidden: 256, experts: 64, topK: 8,
                              dispatchDType: .bf16, combineDType: .bf16, algorithm: .hierarchical, nodeLimit: limit).spread
        }
        #expect(spread(nil).mostNodesOfAToken == 4)
        #expect(spread(2).mostNodesOfAToken == 2 && spread(2).nodesPerToken <= 2)
        #expect(spread(2).pairs == 8 * 64 * 8 && spread(2).tokens == 8 * 64)
    }

    @Test func hierarchicalStepMovesFewerNetworkBytes() throws {
        // A whole step on 4 nodes of 4: the NICs carry less in all with hierarchical than with direct.
        let topology = testTopology(nodes: 4, gpus: 4, railOptimized: true, achievable: .defaults)
        let model = ModelPreset.mini.config
        func networkBytes(_ algorithm: ExchangeAlgorithm) throws -> [Double] {
            let deployment = try Deployment(topology: topology, experts: model.nRoutedExperts, mode: .colocated)
            let options = SimulationOptions(phase: .prefill, batch: 512, context: 512, algorithm: algorithm)
            let r = Simulator(footprint: ModelFootprint(config: model, weights: .fp8), deployment: deployment, options: options).run()
            return r.ports.indices.filter { r.ports[$0].kind == .scaleOut }.map { r.dispatch.portBytes[$0] + r.combine.portBytes[$0] }
        }
        let direct = try networkBytes(.direct), hierarchical = try networkBytes(.hierarchical)
        #expect(hierarchical.reduce(0, +) < direct.reduce(0, +))
    }
}
