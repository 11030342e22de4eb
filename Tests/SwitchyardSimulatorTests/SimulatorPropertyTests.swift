import Testing
@testable import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardModelConfig

@Suite struct SimulatorPropertyTests {
    /// Cases across phases, modes, overlap, routing and topologies.
    static let cases: [(Phase, DeploymentMode, Overlap, RoutingDistribution, Int, Int)] = [
        (.decode, .disaggregated, .none, .uniform, 1, 8),
        (.decode, .colocated, .pingpong, .zipf(1.2), 2, 4),
        (.prefill, .disaggregated, .pingpong, .uniform, 2, 4),
        (.prefill, .colocated, .none, .zipf(0.8), 1, 4),
    ]

    func stepTime(_ topology: Topology, _ c: (Phase, DeploymentMode, Overlap, RoutingDistribution, Int, Int), batch: Int,
                  model: ModelConfig = ModelPreset.mini.config) throws -> Double {
        let deployment = try Deployment(topology: topology, experts: model.nRoutedExperts, mode: c.1)
        let options = SimulationOptions(phase: c.0, batch: batch, context: 512, routing: c.3, overlap: c.2, steps: 2, seed: 7)
        return Simulator(footprint: ModelFootprint(config: model, weights: .fp8), deployment: deployment, options: options).run().meanStepSeconds
    }

    @Test func moreBandwidthNeverMakesAStepSlower() throws {
        for c in Self.cases {
            let base = testTopology(nodes: c.4, gpus: c.5, achievable: .defaults)
            var faster = base
            faster.scaleUp.bytesPerSecondEachWay *= 2
            var fasterNetwork = base
            fasterNetwork.scaleOut!.bytesPerSecondPerNIC *= 3
            for batch in [1, 16, 256] {
                let t = try stepTime(base, c, batch: batch)
                #expect(try stepTime(faster, c, batch: batch) <= t, "\(c) batch \(batch)")
                #expect(try stepTime(fasterNetwork, c, batch: batch) <= t, "\(c) batch \(batch)")
            }
        }
    }

    @Test func moreTokensNeverMakeAStepFaster() throws {
        for c in Self.cases {
            let topology = testTopology(nodes: c.4, gpus: c.5, achievable: .defaults)
            var previous = 0.0
            for batch in [1, 2, 3, 8, 9, 64, 65, 300, 1000] {
                let t = try stepTime(topology, c, batch: batch)
                #expect(t >= previous, "\(c): batch \(batch) took \(t), less than \(previous)")
                previous = t
            }
        }
    }

    @Test func doublingEveryRateHalvesAStepWithoutLatency() throws {
        for c in Self.cases {
            let base = testTopology(nodes: c.4, gpus: c.5, fabricLatency: 0, networkLatency: 0, achievable: .defaults)
            var doubled = testTopology(nodes: c.4, gpus: c.5, fabric: 200e9, fabricLatency: 0, nic: 25e9, networkLatency: 0,
                                       achievable: .defaults,
                                       gpu: GPUModel(name: "G", memoryBytes: 80e9, hbmBytesPerSecond: 6.7e12,
                                                     denseFLOPS: [.bf16: 1978e12, .fp8: 3958e12]))
            doubled.name = "doubled"
            for batch in [1, 100] {
                #expect(close(try stepTime(doubled, c, batch: batch), try stepTime(base, c, batch: batch) / 2, 1e-9), "\(c)")
            }
        }
    }

    @Test func routingIsDeterministicDistinctAndSkewedByZipf() {
        let uniform = RoutingGenerator(distribution: .uniform, experts: 128, topK: 4, layers: 2, seed: 3)
        let zipf = RoutingGenerator(distribution: .zipf(1.2), experts: 128, topK: 4, layers: 2, seed: 3)
        var a = [Int32](repeating: 0, count: 4), b = a
        var counts = [Int](repeating: 0, count: 128)
        for token in 0..<2000 {
            uniform.route(step: 0, layer: 1, token: token, into: &a, at: 0)
            uniform.route(step: 0, layer: 1, token: token, into: &b, at: 0)
            #expect(a == b)
            #expect(Set(a).count == 4)
            zipf.route(step: 0, layer: 0, token: token, into: &a, at: 0)
            #expect(Set(a).count == 4)
            for e in a { counts[Int(e)] += 1 }
        }
        // Uniform would give each expert 2000 × 4 / 128 = 62.5; the hottest zipf expert gets far more.
        #expect(counts.max()! > 600)
        #expect(RoutingDistribution(argument: "zipf:1.5") == .zipf(1.5))
        #expect(RoutingDistribution(argument: "zipf:-1") == nil && RoutingDistribution(argument: "trace:x") == nil)
    }

    @Test func pingpongOverlapsAttentionWithExperts() throws {
        let topology = testTopology(gpus: 8, achievable: .defaults)
        let c: (Phase, DeploymentMode, Overlap, RoutingDistribution, Int, Int) = (.decode, .disaggregated, .none, .uniform, 1, 8)
        let none = try stepTime(topology, c, batch: 512, model: ModelPreset.mistralSmall4.config)
        let pingpong = try stepTime(topology, (c.0, c.1, .pingpong, c.3, c.4, c.5), batch: 512, model: ModelPreset.mistralSmall4.config)
        #expect(pingpong < none)
    }
}
