import Testing
import SwitchyardSimulator
import SwitchyardTopology

/// Exchanges that follow an idle gap wait for their processes to wake (`scale_up.wake_up`);
/// back-to-back ones, and every one on a topology without the curve, are timed as before.
@Suite struct TraceWakeUpTests {
    /// After 1 ms idle: 40 µs + 10 µs a host woken; after 3 ms: 100 µs + 30 µs a host.
    let wakeUp = WakeUpCosts(points: [.init(idleSeconds: 1e-3, latencySeconds: 40e-6, messageSeconds: 10e-6),
                                      .init(idleSeconds: 3e-3, latencySeconds: 100e-6, messageSeconds: 30e-6)])

    func machine(_ wakeUp: WakeUpCosts) -> Topology {
        let cpu = GPUModel(name: "cpu", memoryBytes: 16e9, hbmBytesPerSecond: 1e9, denseFLOPS: [.bf16: 1e9])
        return Topology(name: "m", gpuModels: ["cpu": cpu],
                        nodes: [Node(name: "node0", gpuModel: "cpu", gpuNames: ["gpu0", "gpu1", "gpu2"],
                                     sharedCompute: SharedCompute(memoryBytesPerSecond: 1.5e9, flops: 1.5e9))],
                        scaleUp: ScaleUpFabric(name: "ipc", bytesPerSecondEachWay: 1e6, latencySeconds: 50e-6, switched: true, nonBlocking: false,
                                               aggregateBytesPerSecond: 1e6, costs: TransferCosts(messageSeconds: 100e-6, tokenSeconds: 10e-6),
                                               wakeUp: wakeUp),
                        scaleOut: nil, achievable: .peak)
    }

    /// Two layers' exchanges of one step, each a dispatch to the three devices' hosts and the combines back.
    var messages: [TraceMessage] {
        [1, 2].flatMap { (exchange: UInt64) in
            (0..<3).flatMap { device in
                [TraceMessage(exchange: exchange, step: 0, layer: Int(exchange) - 1, isDispatch: true, sourceDevice: 0, destinationDevice: device,
                              bytes: 1000, slots: 1, tokens: 1),
                 TraceMessage(exchange: exchange, step: 0, layer: Int(exchange) - 1, isDispatch: false, sourceDevice: device, destinationDevice: 0,
                              bytes: 500, tokens: 1)]
            }
        }
    }

    @Test func anExchangeAfterAnIdleGapWaitsForItsHostsToWake() {
        let backToBack = TraceProjection(messages: messages, topology: machine(wakeUp))
        #expect(backToBack.wakeUpSeconds == 0)
        // Exchange 1 after 2 ms idle: latency 70 µs, 20 µs a host, three hosts woken (one shares the
        // coordinator's device, still a process of its own) = 130 µs; exchange 2 back to back.
        let gapped = TraceProjection(messages: messages, topology: machine(wakeUp), idleBefore: [1: 2e-3, 2: 0])
        #expect(close(gapped.wakeUpSeconds, 70e-6 + 3 * 20e-6))
        #expect(close(gapped.wakeSeconds[0] ?? 0, 130e-6))
        #expect(close(gapped.exchangeSeconds[1]! - backToBack.exchangeSeconds[1]!, 130e-6))
        #expect(gapped.exchangeSeconds[2] == backToBack.exchangeSeconds[2])
        #expect(close(gapped.inFlightSeconds, backToBack.inFlightSeconds + 130e-6))
        // The link model's own figures do not move.
        #expect(gapped.dispatchSeconds == backToBack.dispatchSeconds && gapped.combineSeconds == backToBack.combineSeconds)

        // The run's first exchange, idle since the handshake: the last point's cost.
        let first = TraceProjection(messages: messages, topology: machine(wakeUp), idleBefore: [1: .infinity])
        #expect(close(first.wakeUpSeconds, 100e-6 + 3 * 30e-6))
    }

    @Test func withoutACurveAGapCostsNothing() {
        let plain = TraceProjection(messages: messages, topology: machine(.none))
        let gapped = TraceProjection(messages: messages, topology: machine(.none), idleBefore: [1: 5e-3, 2: .infinity])
        #expect(gapped.wakeUpSeconds == 0)
        #expect(gapped.exchangeSeconds == plain.exchangeSeconds)
    }
}
