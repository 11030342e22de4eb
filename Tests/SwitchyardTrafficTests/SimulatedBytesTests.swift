import Foundation
import Testing
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardTraffic
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// The simulator sizes messages as the wire frames them: for the same routing, its bytes are the
/// encoded frames' bytes, and a recorded run's wire bytes are what it would have simulated.
@Suite struct SimulatedBytesTests {
    let config = ModelPreset.tiny.config

    /// Random top-k routing of `tokens` tokens over the placement's experts.
    func routing(tokens: Int, topK: Int, experts: Int, seed: UInt64) -> RoutingDecision {
        var random = SplitMix64(seed: seed), chosen: [Int32] = []
        for _ in 0..<tokens {
            var mine: [Int32] = []
            while mine.count < topK {
                let e = Int32(random.next() % UInt64(experts))
                if !mine.contains(e) { mine.append(e) }
            }
            chosen += mine
        }
        return RoutingDecision(tokenCount: tokens, topK: topK, experts: chosen, weights: Array(repeating: 0.25, count: tokens * topK))
    }

    /// One exchange planned both ways: a dispatch plan encoded into real frames, and the simulator's
    /// planner with the coordinator on device 0 and host h on device h + 1 of an HGX H100.
    @Test(arguments: [(CombineDType.bf16, PayloadType.bf16), (.fp32, .f32)])
    func plannerBytesAreTheEncodedFramesBytes(combine: CombineDType, combinePayload: PayloadType) throws {
        let topology = try Topology.load(contentsOf: TopologyPresets.resolve("hgx-h100"))
        let hosts = 4, hidden = config.hiddenSize, tokens = 37, n = topology.devices.count
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: hosts)
        let decision = routing(tokens: tokens, topK: config.numExpertsPerTok, experts: config.nRoutedExperts, seed: 7)
        let plan = try DispatchPlan(routing: decision, placement: placement)
        let activations = (0..<tokens * hidden).map { Float($0 % 61) / 64 }
        let dispatches = plan.dispatchFrames(address: FrameAddress(step: 1), activations: activations, hidden: hidden, payload: .bf16)

        var planner = ExchangePlanner(links: LinkModel(topology: topology), topology: topology, algorithm: .direct,
                                      sizing: MessageSizing(hidden: hidden, dispatch: .bf16, combine: combine))
        for t in 0..<tokens {
            planner.add(source: 0, owners: (0..<decision.topK).map { placement.host(of: decision.expert(token: t, slot: $0)) + 1 })
        }
        let traffic = planner.traffic()
        #expect(dispatches.count == plan.activeHosts.count && dispatches.count > 1)
        for frame in dispatches {
            let routes = plan.hosts[frame.host].routes
            let sums = ActivationRows(rows: routes.count, width: hidden, floats: Array(repeating: 0.5, count: routes.count * hidden), as: combinePayload)
            let answer = WireFrame(address: FrameAddress(step: 1), host: frame.host, body: .combine(Combine(tokens: routes.tokens, partialSums: sums)))
            #expect(traffic.dispatch.bytes[frame.host + 1] == Double(frame.encoded().byteCount), "dispatch to host \(frame.host)")
            #expect(traffic.combine.bytes[(frame.host + 1) * n] == Double(answer.encoded().byteCount), "combine from host \(frame.host)")
        }
        let idle = Set(0..<hosts).subtracting(plan.activeHosts)
        for h in idle { #expect(traffic.dispatch.bytes[h + 1] == 0 && traffic.combine.bytes[(h + 1) * n] == 0) }
    }

    /// Every dispatch and combine of a recorded run (both ends' ledgers) is, in wire bytes, what the
    /// simulator sizes a message of its tokens and (token, expert) pairs at.
    @Test func recordedRunsWireBytesAreTheSimulatorsSizes() throws {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 4)
        let source = SyntheticWeights(config: config, seed: 2)
        let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: .bf16)
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let requests = WorkloadRunner.syntheticRequests(count: 3, promptTokens: 5, newTokens: 2, vocabSize: config.vocabSize)
        _ = try WorkloadRunner(model: model, experts: cluster.experts).run(requests, maxBatch: 3) { _, _ in }
        cluster.stop()
        let ledger = cluster.experts.traffic.ledger.merging(cluster.hostRecords)
        let sizing = MessageSizing(hidden: config.hiddenSize, dispatch: .bf16, combine: .bf16)
        #expect(ledger.records.count > 8)
        for r in ledger.records {
            let simulated = r.kind == .dispatch ? sizing.dispatchBytes(tokens: Int(r.tokens), pairs: Int(r.slots)) : sizing.combineBytes(tokens: Int(r.tokens))
            #expect(simulated == Double(r.wireBytes), "\(r.kind) of exchange \(r.exchange) to host \(r.host)")
        }
    }

    /// FP8 dispatch is not on the wire: the wire's header and routes, the simulator's own payload size.
    @Test func fp8DispatchKeepsTheSimulatorsPayloadSize() {
        let sizing = MessageSizing(hidden: 4096, dispatch: .fp8, combine: .bf16)
        #expect(sizing.dispatchBytes(tokens: 3, pairs: 5) == Double(64 + 3 * 8 + 5 * 8) + 3 * (4096 + 32 * 4))
        #expect(sizing.dispatchBytes(tokens: 0, pairs: 0) == 0 && sizing.combineBytes(tokens: 0) == 0)
    }
}
