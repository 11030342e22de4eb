import SwitchyardKernels
import SwitchyardModel
import Testing
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire
import SwitchyardCore

@Suite struct CombineAccumulatorTests {
    let hidden = 16

    struct Layer {
        let plan: DispatchPlan
        let replies: [WireFrame]
    }

    /// A plan over `hosts` hosts and every active host's combine frame, computed with the fake expert.
    func layer(hosts: Int, tokens: Int, payload: PayloadType = .f32, seed: UInt64 = 5) throws -> Layer {
        let placement = try Placement(.contiguous, experts: 128, hosts: hosts)
        let plan = try DispatchPlan(routing: RuntimeSamples.routing(tokens: tokens, seed: seed), placement: placement)
        let activations = RuntimeSamples.activations(tokens: tokens, hidden: hidden, seed: seed + 1)
        let replies = try plan.dispatchFrames(address: FrameAddress(step: 7, layer: 1), activations: activations, hidden: hidden, payload: ActivationPayloads(payload)).map { frame in
            try HostComputation(placement: placement, host: frame.host, hidden: hidden).answer(frame, runExpert: RuntimeSamples.fakeExpert)
        }
        return Layer(plan: plan, replies: replies)
    }

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test func arrivalOrderDoesNotChangeASingleBit() throws {
        let layer = try layer(hosts: 8, tokens: 200)
        var inOrder = CombineAccumulator(plan: layer.plan, hidden: hidden, address: FrameAddress(step: 7, layer: 1))
        for reply in layer.replies { try inOrder.receive(reply) }
        let reference = bits(try inOrder.output())
        var random = SplitMix64(seed: 11)
        for _ in 0..<50 {
            var accumulator = CombineAccumulator(plan: layer.plan, hidden: hidden, address: FrameAddress(step: 7, layer: 1))
            for reply in layer.replies.shuffled(using: &random) {
                #expect(!accumulator.isComplete)
                try accumulator.receive(reply)
            }
            #expect(accumulator.isComplete)
            #expect(bits(try accumulator.output()) == reference)
        }
        // Reversed, explicitly.
        var reversed = CombineAccumulator(plan: layer.plan, hidden: hidden)
        for reply in layer.replies.reversed() { try reversed.receive(reply) }
        #expect(bits(try reversed.output()) == reference)
    }

    @Test func sumIsTakenInHostOrder() throws {
        let layer = try layer(hosts: 4, tokens: 30)
        var accumulator = CombineAccumulator(plan: layer.plan, hidden: hidden)
        for reply in layer.replies.reversed() { try accumulator.receive(reply) }
        var expected = [Float](repeating: 0, count: 30 * hidden)
        for reply in layer.replies.sorted(by: { $0.host < $1.host }) {
            guard case let .combine(combine) = reply.body else { continue }
            let sums = combine.partialSums.floats
            for (row, token) in combine.tokens.enumerated() {
                for j in 0..<hidden { expected[Int(token) * hidden + j] += sums[row * hidden + j] }
            }
        }
        #expect(bits(try accumulator.output()) == bits(expected))
        // add(into:) adds onto what is already there, such as the shared expert's output.
        var base = [Float](repeating: 1, count: 30 * hidden)
        try accumulator.add(into: &base)
        var onOnes = [Float](repeating: 1, count: 30 * hidden)
        for reply in layer.replies.sorted(by: { $0.host < $1.host }) {
            guard case let .combine(combine) = reply.body else { continue }
            let sums = combine.partialSums.floats
            for (row, token) in combine.tokens.enumerated() {
                for j in 0..<hidden { onOnes[Int(token) * hidden + j] += sums[row * hidden + j] }
            }
        }
        #expect(bits(base) == bits(onOnes))
    }

    @Test func everyActiveHostMustAnswerExactlyOnceWithItsRows() throws {
        let placement = try Placement(.contiguous, experts: 16, hosts: 4)
        let routing = RoutingDecision(tokenCount: 3, topK: 2, experts: [0, 5, 1, 9, 2, 3], weights: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
        let plan = try DispatchPlan(routing: routing, placement: placement)  // host 0: tokens 0,1,2; host 1: 0; host 2: 1; host 3: none
        var accumulator = CombineAccumulator(plan: plan, hidden: 2, address: FrameAddress(step: 1, layer: 0))
        #expect(accumulator.missingHosts == [0, 1, 2])
        #expect(throws: CombineError.incomplete(missingHosts: [0, 1, 2])) { try accumulator.output() }
        #expect(throws: CombineError.unknownHost(host: 4, hosts: 4)) { try accumulator.receive(host: 4, tokens: [0], partialSums: [0, 0]) }
        #expect(throws: CombineError.unexpectedHost(host: 3)) { try accumulator.receive(host: 3, tokens: [0], partialSums: [0, 0]) }
        #expect(throws: CombineError.wrongTokens(host: 0, expectedCount: 3, receivedCount: 3, firstDifferentRow: 1)) {
            try accumulator.receive(host: 0, tokens: [0, 2, 1], partialSums: [Float](repeating: 0, count: 6))
        }
        #expect(throws: CombineError.wrongTokens(host: 0, expectedCount: 3, receivedCount: 2, firstDifferentRow: 2)) {
            try accumulator.receive(host: 0, tokens: [0, 1], partialSums: [Float](repeating: 0, count: 4))
        }
        #expect(throws: CombineError.wrongSize(host: 1, expected: 2, received: 3)) { try accumulator.receive(host: 1, tokens: [0], partialSums: [1, 2, 3]) }
        try accumulator.receive(host: 1, tokens: [0], partialSums: [1, 2])
        #expect(throws: CombineError.duplicateReply(host: 1)) { try accumulator.receive(host: 1, tokens: [0], partialSums: [1, 2]) }

        let sums = ActivationRows(rows: 1, width: 2, floats: [3, 4], as: .f32)
        let stale = WireFrame(address: FrameAddress(step: 0, layer: 0), host: 2, body: .combine(Combine(tokens: [1], partialSums: sums)))
        #expect(throws: CombineError.wrongAddress(host: 2, expected: FrameAddress(step: 1, layer: 0), received: FrameAddress(step: 0, layer: 0))) {
            try accumulator.receive(stale)
        }
        let failure = Failure(code: .expertFailed, message: "expert 9 ran out of memory")
        #expect(throws: CombineError.hostFailed(host: 2, failure: failure)) { try accumulator.receive(WireFrame(host: 2, body: .error(failure))) }
        #expect(throws: CombineError.notCombine(host: 2, kind: .heartbeat)) { try accumulator.receive(WireFrame(host: 2, body: .heartbeat)) }

        try accumulator.receive(WireFrame(address: FrameAddress(step: 1, layer: 0), host: 2, body: .combine(Combine(tokens: [1], partialSums: sums))))
        try accumulator.receive(host: 0, tokens: [0, 1, 2], partialSums: [10, 10, 20, 20, 30, 30])
        #expect(accumulator.isComplete)
        #expect(try accumulator.output() == [11, 12, 23, 24, 30, 30])
    }
}
