import SwitchyardTraffic
import SwitchyardModel
import Testing
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

@Suite struct DispatchPlanTests {
    @Test func twoExpertsOnOneHostSendTheTokenOnceWithBothPairs() throws {
        let placement = try Placement(.contiguous, experts: 16, hosts: 3)  // 0–5, 6–10, 11–15
        let routing = RoutingDecision(tokenCount: 2, topK: 4,
                                      experts: [4, 12, 1, 7, /* token 1 */ 13, 14, 15, 0],
                                      weights: [0.4, 0.3, 0.2, 0.1, 0.25, 0.25, 0.25, 0.25])
        let plan = try DispatchPlan(routing: routing, placement: placement)
        let host0 = plan.hosts[0].routes
        #expect(host0.tokens == [0, 1])
        #expect(Array(host0.experts[host0.pairs(ofRow: 0)]) == [4, 1])
        #expect(Array(host0.weights[host0.pairs(ofRow: 0)]) == [0.4, 0.2])
        #expect(Array(host0.experts[host0.pairs(ofRow: 1)]) == [0])
        #expect(plan.hosts[1].routes.tokens == [0])
        let host2 = plan.hosts[2].routes
        #expect(host2.tokens == [0, 1])
        #expect(Array(host2.experts[host2.pairs(ofRow: 1)]) == [13, 14, 15])
        #expect(plan.tokensPerHost == [2, 1, 2])
        #expect(plan.pairsPerHost == [3, 1, 4])
        // Each expert runs once over its rows; experts ascending.
        #expect(plan.hosts[0].work == [ExpertWork(expert: 0, rows: [1], weights: [0.25]),
                                       ExpertWork(expert: 1, rows: [0], weights: [0.2]),
                                       ExpertWork(expert: 4, rows: [0], weights: [0.4])])
        #expect(plan.hosts[2].work.map(\.expert) == [12, 13, 14, 15])
        #expect(plan.hosts[2].work[0].rows == [0])
    }

    @Test(arguments: [1, 2, 8, 32])
    func everyPairLandsOnItsExpertsHostOnce(hosts: Int) throws {
        let placement = try Placement(.roundRobin, experts: 128, hosts: hosts)
        let routing = RuntimeSamples.routing(tokens: 257, seed: UInt64(hosts))
        let plan = try DispatchPlan(routing: routing, placement: placement)
        #expect(plan.pairsPerHost.reduce(0, +) == 257 * 4)
        #expect(plan.tokensPerExpert.reduce(0, +) == 257 * 4)
        for dispatch in plan.hosts {
            let tokens = dispatch.routes.tokens
            #expect(zip(tokens, tokens.dropFirst()).allSatisfy { $0 < $1 }, "host \(dispatch.host) tokens not ascending")
            for expert in dispatch.routes.experts { #expect(placement.host(of: Int(expert)) == dispatch.host) }
            #expect(dispatch.work.reduce(0) { $0 + $1.rows.count } == dispatch.pairCount)
        }
        for token in 0..<257 {
            for slot in 0..<4 {
                let expert = routing.expert(token: token, slot: slot)
                let routes = plan.hosts[placement.host(of: expert)].routes
                let row = try #require(routes.tokens.firstIndex(of: UInt32(token)))
                let pair = try #require(routes.pairs(ofRow: row).first { routes.experts[$0] == UInt32(expert) })
                #expect(routes.weights[pair] == routing.weight(token: token, slot: slot))
                #expect(plan.tokensPerExpert[expert] > 0)
            }
        }
    }

    @Test func hostsWithNoTokensGetNoMessage() throws {
        let placement = try Placement(.contiguous, experts: 16, hosts: 4)  // host 3 owns 12–15
        let routing = RoutingDecision(tokenCount: 3, topK: 2, experts: [0, 5, 1, 9, 2, 3], weights: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
        let plan = try DispatchPlan(routing: routing, placement: placement)
        #expect(plan.activeHosts == [0, 1, 2])
        #expect(plan.idleHosts == [3])
        let frames = plan.dispatchFrames(address: FrameAddress(step: 1, layer: 0), activations: [Float](repeating: 1, count: 3 * 8), hidden: 8, payload: .f32)
        #expect(frames.map(\.host) == [0, 1, 2])
        #expect(plan.dispatchFrame(host: 3, address: FrameAddress(), activations: [Float](repeating: 1, count: 24), hidden: 8, payload: .f32) == nil)
        let traffic = plan.traffic(payload: .f32, hidden: 8)
        #expect(traffic.messages == 3)
        #expect(traffic.hosts[3].dispatchBytes == 0 && traffic.hosts[3].combineBytes == 0)
    }

    @Test(arguments: PayloadType.allCases)
    func planBytesMatchTheEncodedFrames(payload: PayloadType) throws {
        let config = ModelPreset.tiny.config
        let hidden = config.hiddenSize
        let placement = try Placement(.contiguous, experts: 128, hosts: 8)
        let plan = try DispatchPlan(routing: RuntimeSamples.routing(tokens: 100, seed: 9), placement: placement)
        let traffic = plan.traffic(payload: ActivationPayloads(payload), hidden: hidden)
        let address = FrameAddress(step: 3, layer: 1)
        let activations = RuntimeSamples.activations(tokens: 100, hidden: hidden, seed: 4)
        var sentBytes = 0, answeredBytes = 0
        for host in 0..<8 {
            let frame = try #require(plan.dispatchFrame(host: host, address: address, activations: activations, hidden: hidden, payload: ActivationPayloads(payload)))
            let encoded = frame.encoded()
            #expect(encoded.byteCount == traffic.hosts[host].dispatchBytes)
            #expect(encoded.contiguous().count == traffic.hosts[host].dispatchBytes)
            let answer = try HostComputation(placement: placement, host: host, hidden: hidden).answer(frame, runExpert: RuntimeSamples.fakeExpert)
            #expect(answer.encoded().byteCount == traffic.hosts[host].combineBytes)
            sentBytes += encoded.byteCount
            answeredBytes += answer.encoded().byteCount
        }
        #expect(traffic.dispatchBytes == sentBytes && traffic.combineBytes == answeredBytes)
        // Deduplication saved one activation out and one sum back, plus their bookkeeping, per repeat.
        let repeats = plan.pairsPerHost.reduce(0, +) - plan.tokensPerHost.reduce(0, +)
        #expect(repeats > 0)
        #expect(traffic.bytesSavedByDeduplication == repeats * (12 + 2 * payload.payloadBytes(rows: 1, width: hidden)))
    }

    @Test func dedupSavingIsWhatOneFramePerPairWouldAddOnTheWire() throws {
        let placement = try Placement(.contiguous, experts: 16, hosts: 2)
        let routing = RoutingDecision(tokenCount: 1, topK: 4, experts: [0, 1, 2, 9], weights: [0.25, 0.25, 0.25, 0.25])
        let plan = try DispatchPlan(routing: routing, placement: placement)
        let traffic = plan.traffic(payload: .bf16, hidden: 64)
        // Host 0 receives one row with three pairs where it could have received three rows of one pair.
        let naiveDispatch = WireLayout.dispatchFrameBytes(tokens: 3, pairs: 3, hidden: 64, type: .bf16)
        let naiveCombine = WireLayout.combineFrameBytes(tokens: 3, hidden: 64, type: .bf16)
        #expect(traffic.bytesSavedByDeduplication == naiveDispatch + naiveCombine - traffic.hosts[0].dispatchBytes - traffic.hosts[0].combineBytes)
    }

    @Test func badRoutingIsRefused() throws {
        let placement = try Placement(.contiguous, experts: 16, hosts: 2)
        #expect(throws: DispatchPlanError.expertOutOfRange(token: 1, slot: 0, expert: 16, experts: 16)) {
            try DispatchPlan(routing: RoutingDecision(tokenCount: 2, topK: 1, experts: [3, 16], weights: [1, 1]), placement: placement)
        }
        #expect(throws: DispatchPlanError.duplicateExpert(token: 0, expert: 3)) {
            try DispatchPlan(routing: RoutingDecision(tokenCount: 1, topK: 2, experts: [3, 3], weights: [0.5, 0.5]), placement: placement)
        }
    }
}

/// How many nodes each token's experts are on, from the plan and the hosts' nodes.
@Suite struct NodesPerTokenTests {
    @Test func tokensCountTheDistinctNodesOfTheirHosts() throws {
        // 8 experts on 4 hosts (2 each); hosts 0 and 2 on node 0, hosts 1 and 3 on node 1.
        let placement = try Placement(.contiguous, experts: 8, hosts: 4)
        let routing = RoutingDecision(tokenCount: 3, topK: 2, experts: [0, 1,  0, 4,  2, 6], weights: Array(repeating: 0.5, count: 6))
        let plan = try DispatchPlan(routing: routing, placement: placement)
        // Token 0: experts 0 and 1, both host 0: one node. Token 1: hosts 0 and 2, both node 0: one
        // node. Token 2: hosts 1 and 3, both node 1: one node.
        #expect(plan.nodesPerToken(nodeOfHost: [0, 1, 0, 1]) == [0, 3])
        // With every host on its own node, tokens 1 and 2 reach two.
        #expect(plan.nodesPerToken(nodeOfHost: [0, 1, 2, 3]) == [0, 1, 2])
        #expect(plan.nodesPerToken(nodeOfHost: []) == [0, 3])
    }

    @Test func theLedgerKeepsItPerLayerAndTheSummaryAveragesIt() throws {
        let config = ModelPreset.tiny.config
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 8)
        let devices = (0..<8).map { DevicePosition(node: $0 % 4, gpu: $0 / 4) }
        let traffic = RunTraffic(context: TrafficContext(hosts: 8, layers: config.numHiddenLayers, experts: config.nRoutedExperts, hidden: config.hiddenSize,
                                                         payload: .f32, transport: .inproc, hostDevices: devices))
        let source = SyntheticWeights(config: config, seed: 3)
        let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: .f32, traffic: traffic)
        defer { cluster.stop() }
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let prompt = Array(0..<12)
        _ = try model.step([SequenceStep(cache: KVCache(config: config), tokens: prompt)], experts: cluster.experts)
        let ledger = cluster.experts.traffic.ledger
        for layer in config.firstKDenseReplace..<config.numHiddenLayers {
            let counts = ledger.nodesPerToken[layer]
            #expect(counts.reduce(0, +) == prompt.count, "layer \(layer): \(counts)")
            #expect(counts.count - 1 <= min(4, config.numExpertsPerTok), "layer \(layer): \(counts)")
        }
        let decoded = try TrafficJSONL.decode(try TrafficJSONL.encode(ledger), file: "t.jsonl")
        #expect(decoded.nodesPerToken == ledger.nodesPerToken)
        let mean = try #require(TrafficSummary(decoded).nodesPerToken).mean
        let total = ledger.nodesPerTokenTotal
        #expect(abs(mean - Double(total.enumerated().reduce(0) { $0 + $1.offset * $1.element }) / Double(total.reduce(0, +))) < 1e-12)
        #expect(mean >= 1)
    }
}
