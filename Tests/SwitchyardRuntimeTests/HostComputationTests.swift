import SwitchyardModel
import Testing
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

@Suite struct HostComputationTests {
    let hidden = 12

    /// Row by row, pairs taken in ascending expert order: the arithmetic the host must match bit for bit.
    func reference(routes: TokenRoutes, activations: [Float]) -> [Float] {
        var sums = [Float](repeating: 0, count: routes.count * hidden)
        for row in 0..<routes.count {
            let pairs = routes.pairs(ofRow: row).sorted { routes.experts[$0] < routes.experts[$1] }
            for pair in pairs {
                let scale = Float(routes.experts[pair] + 1)
                for j in 0..<hidden { sums[row * hidden + j] += routes.weights[pair] * (scale * activations[row * hidden + j]) }
            }
        }
        return sums
    }

    @Test(arguments: [1, 3, 8])
    func matchesTheStraightforwardSum(hosts: Int) throws {
        let placement = try Placement(.roundRobin, experts: 128, hosts: hosts)
        let plan = try DispatchPlan(routing: RuntimeSamples.routing(tokens: 64, seed: 21), placement: placement)
        for dispatch in plan.hosts where dispatch.receivesMessage {
            let activations = RuntimeSamples.activations(tokens: dispatch.tokenCount, hidden: hidden, seed: UInt64(dispatch.host))
            var calls: [(Int, Int)] = []
            let sums = try HostComputation(placement: placement, host: dispatch.host, hidden: hidden)
                .partialSums(routes: dispatch.routes, activations: activations) { expert, input, rows in
                    calls.append((expert, rows))
                    #expect(input.count == rows * hidden)
                    return RuntimeSamples.fakeExpert(expert, input, rows)
                }
            #expect(sums.map(\.bitPattern) == reference(routes: dispatch.routes, activations: activations).map(\.bitPattern))
            // Each expert with work runs exactly once, in ascending order, over all its rows.
            #expect(calls.map(\.0) == dispatch.work.map(\.expert))
            #expect(calls.map(\.1) == dispatch.work.map(\.rows.count))
        }
    }

    @Test func refusesExpertsItDoesNotOwnAndBadShapes() throws {
        let placement = try Placement(.contiguous, experts: 16, hosts: 2)
        let computation = HostComputation(placement: placement, host: 0, hidden: 2)
        var routes = TokenRoutes()
        routes.append(token: 0, pairs: [(expert: 3, weight: 0.5), (expert: 12, weight: 0.5)])
        #expect(throws: HostComputationError.expertNotLocal(expert: 12, host: 0)) {
            try computation.partialSums(routes: routes, activations: [1, 2], runExpert: RuntimeSamples.fakeExpert)
        }
        #expect(throws: HostComputationError.wrongActivationCount(expected: 2, received: 3)) {
            try computation.partialSums(routes: routes, activations: [1, 2, 3], runExpert: RuntimeSamples.fakeExpert)
        }
        var local = TokenRoutes()
        local.append(token: 0, pairs: [(expert: 3, weight: 1)])
        #expect(throws: HostComputationError.wrongExpertOutput(expert: 3, expected: 2, received: 1)) {
            try computation.partialSums(routes: local, activations: [1, 2]) { _, _, _ in [0] }
        }
        #expect(throws: HostComputationError.notDispatch(kind: .heartbeat)) {
            try computation.answer(WireFrame(host: 0, body: .heartbeat), runExpert: RuntimeSamples.fakeExpert)
        }
    }

    /// The whole layer through the wire: plan, encode, decode on the host, compute, encode the
    /// answer, decode on the coordinator, combine; equal to the per-token sum over its experts.
    @Test(arguments: PayloadType.allCases)
    func oneLayerEndToEndThroughTheWire(payload: PayloadType) throws {
        let config = ModelPreset.tiny.config
        let hidden = config.hiddenSize
        let decoder = WireDecoder(limits: WireLimits(config: config, maxTokens: 4096, maxHosts: 8))
        let placement = try Placement(.contiguous, experts: 128, hosts: 8)
        let routing = RuntimeSamples.routing(tokens: 96, seed: 77)
        let plan = try DispatchPlan(routing: routing, placement: placement)
        let activations = RuntimeSamples.activations(tokens: 96, hidden: hidden, seed: 78)
        let address = FrameAddress(step: 5, layer: 1, microBatch: 1)
        var accumulator = CombineAccumulator(plan: plan, hidden: hidden, address: address)
        for frame in plan.dispatchFrames(address: address, activations: activations, hidden: hidden, payload: ActivationPayloads(payload)).reversed() {
            let encoded = frame.encoded()
            let payloadBytes = encoded.payload!.withUnsafeBytes { Array($0) }
            let received = try decoder.decode(parts: [encoded.header, encoded.metadata, payloadBytes])
            let answer = try HostComputation(placement: placement, host: received.host, hidden: hidden).answer(received, runExpert: RuntimeSamples.fakeExpert)
            try accumulator.receive(decoder.decode(answer.encoded().contiguous()))
        }
        let output = try accumulator.output()
        let tolerance: Float = payload == .f32 ? 1e-5 : 0.05
        for token in 0..<96 {
            let expected = (0..<hidden).map { j in
                (0..<4).reduce(Float(0)) { sum, slot in
                    sum + routing.weight(token: token, slot: slot) * Float(routing.expert(token: token, slot: slot) + 1) * activations[token * hidden + j]
                }
            }
            // fp8 rounds each value to 3 mantissa bits of its block's scale (amax / 448), once out and
            // once back: an error of at most 1/16 of the row's largest magnitude each way.
            let rowLargest = expected.map(abs).max() ?? 0
            for j in 0..<hidden {
                let allowed = payload == .fp8 ? 0.125 * rowLargest : tolerance * max(1, abs(expected[j]))
                #expect(abs(output[token * hidden + j] - expected[j]) <= allowed, "token \(token) column \(j)")
            }
        }
    }
}
