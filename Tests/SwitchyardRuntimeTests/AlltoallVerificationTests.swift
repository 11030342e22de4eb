import SwitchyardCore
import Foundation
import Testing
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardTraffic
@testable import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire

/// The all-to-all echo's answers and the coordinator's check of them: an honest host gives no
/// wrong values, a corrupted, swapped, misaddressed or mistyped payload is counted.
@Suite struct AlltoallVerificationTests {
    let dispatched = ActivationRows(rows: 3, width: 4, floats: [1, 2, 3, 4, 5, 6, 7, 8, 0.5, -1.5, 2.25, -3], as: .f32)

    @Test func theAnswerIsEachRowNegatedAndRotatedByHostPlusOne() {
        // Host 1: shift 2, so row [1, 2, 3, 4] comes back as [-3, -4, -1, -2].
        let answer = AlltoallEchoRule.answer(to: dispatched, host: 1)
        #expect(answer.floats == [-3, -4, -1, -2, -7, -8, -5, -6, -2.25, 3, -0.5, 1.5])
        let bf16 = AlltoallEchoRule.answer(to: ActivationRows(rows: 3, width: 4, floats: dispatched.floats, as: .bf16), host: 1)
        #expect(bf16.type == .bf16 && bf16.floats == answer.floats)
        // Host 3 shifts by 4, a whole row: the values only change sign.
        #expect(AlltoallEchoRule.answer(to: dispatched, host: 3).floats == dispatched.floats.map { -$0 })
    }

    @Test func anHonestAnswerHasNoWrongValues() {
        let honest = Combine(tokens: [4, 7, 9], partialSums: AlltoallEchoRule.answer(to: dispatched, host: 2))
        #expect(AlltoallEchoRule.wrongValues(returned: honest, host: 2, tokens: [4, 7, 9], dispatched: dispatched) == 0)
    }

    @Test func corruptedSwappedMisaddressedAndMistypedAnswersAreCounted() {
        let answer = AlltoallEchoRule.answer(to: dispatched, host: 0)
        var values = answer.floats
        values[5] += 1
        let corrupted = Combine(tokens: [4, 7, 9], partialSums: ActivationRows(rows: 3, width: 4, floats: values, as: .f32))
        #expect(AlltoallEchoRule.wrongValues(returned: corrupted, host: 0, tokens: [4, 7, 9], dispatched: dispatched) == 1)

        let swapped = Combine(tokens: [7, 4, 9], partialSums: answer)
        #expect(AlltoallEchoRule.wrongValues(returned: swapped, host: 0, tokens: [4, 7, 9], dispatched: dispatched) == 8)

        let fromAnotherHost = Combine(tokens: [4, 7, 9], partialSums: AlltoallEchoRule.answer(to: dispatched, host: 1))
        #expect(AlltoallEchoRule.wrongValues(returned: fromAnotherHost, host: 0, tokens: [4, 7, 9], dispatched: dispatched) == 12)

        let zeros = Combine(tokens: [4, 7, 9], partialSums: ActivationRows(rows: 3, width: 4, floats: Array(repeating: 0, count: 12), as: .f32))
        #expect(AlltoallEchoRule.wrongValues(returned: zeros, host: 0, tokens: [4, 7, 9], dispatched: dispatched) == 12)

        let short = Combine(tokens: [4, 7], partialSums: ActivationRows(rows: 2, width: 4, floats: Array(answer.floats.prefix(8)), as: .f32))
        #expect(AlltoallEchoRule.wrongValues(returned: short, host: 0, tokens: [4, 7, 9], dispatched: dispatched) == 4)

        let bf16 = Combine(tokens: [4, 7, 9], partialSums: ActivationRows(rows: 3, width: 4, floats: answer.floats, as: .bf16))
        #expect(AlltoallEchoRule.wrongValues(returned: bf16, host: 0, tokens: [4, 7, 9], dispatched: dispatched) == 12)
    }

    /// A host that answers by the rule, except that it flips one value of every combine it sends.
    func faultyHost(_ host: Int, transport: HostTransport, limits: WireLimits) throws {
        let decoder = WireDecoder(limits: limits)
        while let message = try transport.receive(timeout: .seconds(30)) {
            let frame = try message.decode(with: decoder)
            guard case let .dispatch(dispatch) = frame.body else { return }
            var values = AlltoallEchoRule.answer(to: dispatch.activations, host: host).floats
            values[0] = values[0] + 1
            let sums = ActivationRows(rows: dispatch.activations.rows, width: dispatch.activations.width, floats: values, as: dispatch.activations.type)
            try transport.send(WireFrame(address: frame.address, host: host, body: .combine(Combine(tokens: dispatch.routes.tokens, partialSums: sums))).encoded(),
                               to: message.peer)
        }
    }

    @Test(arguments: [PayloadType.f32, .bf16])
    func theSweepCountsEveryValueAFaultyHostCorrupts(payload: PayloadType) throws {
        let hosts = 3, hidden = 16
        let network = InProcessNetwork(hosts: hosts)
        let limits = WireLimits(layers: 1, experts: 6, expertsPerToken: 2, hidden: hidden, maxTokens: 8)
        let done = DispatchGroup()
        for host in 0..<hosts {
            nonisolated(unsafe) let transport = network.host(host)
            done.enter()
            Thread {
                if host == 1 { try? faultyHost(host, transport: transport, limits: limits) } else {
                    _ = try? AlltoallEcho(host: host, transport: transport, limits: limits, traffic: nil).serve()
                }
                done.leave()
            }.start()
        }
        let sweep = AlltoallSweep(placement: try Placement(.contiguous, experts: 6, hosts: hosts), hidden: hidden, topK: 2, payload: ActivationPayloads(payload),
                                  tokenCounts: [1, 8], iterations: 3, warmup: 1)
        let coordinator = TrafficRecorder(context: TrafficContext(hosts: hosts, layers: 1, experts: 6, hidden: hidden, payload: payload.rawValue, transport: "inproc"))
        let notes = try sweep.run(transport: network.coordinator, traffic: coordinator)
        for host in 0..<hosts { try network.coordinator.send(WireFrame(host: host, body: .shutdown).encoded(), to: host) }
        _ = done.wait(timeout: .now() + 10)

        #expect(notes.count == 8 && notes.filter(\.timed).count == 6)
        // Each exchange is wrong by exactly one value when host 1 got tokens, and by none when it did not.
        let host1Combines = Set(coordinator.records.filter { $0.kind == .combine && $0.host == 1 }.map(\.exchange))
        for note in notes {
            #expect(note.wrongValues == (host1Combines.contains(note.exchange) ? 1 : 0), "exchange \(note.exchange)")
        }
        #expect(!host1Combines.isEmpty, "\(coordinator.records.count) records: \(coordinator.records.prefix(4))")
    }

    @Test func honestEchoHostsGiveNoWrongValues() throws {
        let hosts = 2, hidden = 8
        let network = InProcessNetwork(hosts: hosts)
        let limits = WireLimits(layers: 1, experts: 4, expertsPerToken: 2, hidden: hidden, maxTokens: 4)
        let done = DispatchGroup()
        for host in 0..<hosts {
            nonisolated(unsafe) let echo = AlltoallEcho(host: host, transport: network.host(host), limits: limits, traffic: nil)
            done.enter()
            Thread { _ = try? echo.serve(); done.leave() }.start()
        }
        let sweep = AlltoallSweep(placement: try Placement(.contiguous, experts: 4, hosts: hosts), hidden: hidden, topK: 2, payload: .bf16,
                                  tokenCounts: [1, 2, 4], iterations: 2, warmup: 1)
        let notes = try sweep.run(transport: network.coordinator,
                                  traffic: TrafficRecorder(context: TrafficContext(hosts: hosts, layers: 1, experts: 4, hidden: hidden, payload: "bf16", transport: "inproc")))
        for host in 0..<hosts { try network.coordinator.send(WireFrame(host: host, body: .shutdown).encoded(), to: host) }
        _ = done.wait(timeout: .now() + 10)
        #expect(notes.count == 9 && notes.allSatisfy { $0.wrongValues == 0 && $0.dispatchesLeftNanos > 0 })
    }

    @Test func idleGapsTakeTurnsOneRowEach() throws {
        // Three gaps (zero, so nothing sleeps): each iteration runs one exchange per gap, row = token index × 3 + gap index.
        let hosts = 2, hidden = 8
        let network = InProcessNetwork(hosts: hosts)
        let limits = WireLimits(layers: 1, experts: 4, expertsPerToken: 2, hidden: hidden, maxTokens: 2)
        let done = DispatchGroup()
        for host in 0..<hosts {
            nonisolated(unsafe) let echo = AlltoallEcho(host: host, transport: network.host(host), limits: limits, traffic: nil)
            done.enter()
            Thread { _ = try? echo.serve(); done.leave() }.start()
        }
        var sweep = AlltoallSweep(placement: try Placement(.contiguous, experts: 4, hosts: hosts), hidden: hidden, topK: 2, payload: .bf16,
                                  tokenCounts: [1, 2], iterations: 2, warmup: 1)
        sweep.idleGaps = [.zero, .zero, .zero]
        let notes = try sweep.run(transport: network.coordinator,
                                  traffic: TrafficRecorder(context: TrafficContext(hosts: hosts, layers: 1, experts: 4, hidden: hidden, payload: "bf16", transport: "inproc")))
        for host in 0..<hosts { try network.coordinator.send(WireFrame(host: host, body: .shutdown).encoded(), to: host) }
        _ = done.wait(timeout: .now() + 10)
        #expect(notes.map(\.row) == [0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5])
        #expect(notes.map(\.timed) == Array(repeating: [false, false, false, true, true, true, true, true, true], count: 2).flatMap { $0 })
        #expect(notes.allSatisfy { $0.wrongValues == 0 })
    }
}
