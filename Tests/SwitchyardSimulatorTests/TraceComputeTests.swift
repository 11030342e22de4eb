import Testing
import SwitchyardSimulator
import SwitchyardTopology

/// A trace timed on a calibrated machine: the hosts' expert work between dispatch and combine,
/// a node of processes sharing one CPU, and messages between roles on one device.
@Suite struct TraceComputeTests {
    /// A CPU "GPU": 1 GB/s of weights and 1 GFLOP/s alone; 1.5 GB/s and 1.5 GFLOP/s all together.
    let cpu = GPUModel(name: "cpu", memoryBytes: 16e9, hbmBytesPerSecond: 1e9, denseFLOPS: [.bf16: 1e9])

    func machine(shared: Bool, streaming: WeightStreaming? = nil) -> Topology {
        Topology(name: "m", gpuModels: ["cpu": cpu],
                 nodes: [Node(name: "node0", gpuModel: "cpu", gpuNames: ["gpu0", "gpu1", "gpu2"],
                              sharedCompute: shared ? SharedCompute(memoryBytesPerSecond: 1.5e9, flops: 1.5e9, streaming: streaming) : nil)],
                 // Every message through the shared port: 1 MB/s, 100 µs a message, 10 µs a token, 50 µs latency.
                 scaleUp: ScaleUpFabric(name: "ipc", bytesPerSecondEachWay: 1e6, latencySeconds: 50e-6, switched: true, nonBlocking: false,
                                        aggregateBytesPerSecond: 1e6, costs: TransferCosts(messageSeconds: 100e-6, tokenSeconds: 10e-6)),
                 scaleOut: nil, achievable: .peak)
    }

    /// 1,000 FLOPs a slot, 1 MB an expert, 4 experts a host.
    let work = TraceExpertWork(flopsPerSlot: 1000, bytesPerExpert: 1e6, expertsPerHost: 4, format: .bf16)

    @Test func expertsTouchedInExpectation() {
        #expect(work.expertsTouched(slots: 0) == 0)
        #expect(close(work.expertsTouched(slots: 1), 1))
        // 4 · (1 − (3/4)²) = 1.75
        #expect(close(work.expertsTouched(slots: 2), 1.75))
    }

    @Test func sharedNodeTakesAtLeastItsSummedWork() {
        // Host on gpu1: 1 slot, 1 MB → 1 ms alone. Host on gpu2: 2 slots, 1.75 MB → 1.75 ms alone.
        let slots = [1: 1, 2: 2]
        #expect(close(work.seconds(slotsPerDevice: slots, topology: machine(shared: false)), 1.75e-3))
        // Sharing the CPU: 2.75 MB at 1.5 GB/s = 1.8333 ms, more than the longest alone.
        #expect(close(work.seconds(slotsPerDevice: slots, topology: machine(shared: true)), 2.75e-3 / 1.5))
    }

    @Test func sharedNodeStreamsEachExpertAtItsTokensRate() {
        // All together: 1.5 GB/s at 1 token a call, half that at 2 or more.
        let curve = WeightStreaming(points: [.init(tokens: 1, bytesPerSecond: 1.5e9), .init(tokens: 2, bytesPerSecond: 0.75e9)])
        let topology = machine(shared: true, streaming: curve)
        // gpu1, 1 slot over 4 experts: one expert gets 1 token, 1 MB at 1.5 GB/s = 0.6667 ms (as without the curve).
        #expect(close(work.sharedStreamingSeconds(slots: 1, shared: topology.nodes[0].sharedCompute!), 1e6 / 1.5e9))
        // gpu2, 2 slots over 4 experts (p = 1/4): 4 experts · 1 MB · (P(1) = 0.375 at 1.5 GB/s + P(2) = 0.0625 at 0.75 GB/s)
        // = 4 MB · 0.3333 ns a byte = 1.3333 ms, against 1.75 MB at 1.5 GB/s = 1.1667 ms at the one rate.
        #expect(close(work.sharedStreamingSeconds(slots: 2, shared: topology.nodes[0].sharedCompute!), 4e6 * (0.375 / 1.5e9 + 0.0625 / 0.75e9)))
        // Both hosts sharing the CPU: 0.6667 + 1.3333 = 2 ms, more than the longest alone (1.75 ms) and the FLOPs.
        #expect(close(work.seconds(slotsPerDevice: [1: 1, 2: 2], topology: topology), 2e-3))
        // A trace's exchange is charged the same between its dispatch and its combine.
        let messages = [
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: true, sourceDevice: 0, destinationDevice: 1, bytes: 1000, slots: 1, tokens: 1),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: true, sourceDevice: 0, destinationDevice: 2, bytes: 2000, slots: 2, tokens: 2),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: false, sourceDevice: 1, destinationDevice: 0, bytes: 500, tokens: 1),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: false, sourceDevice: 2, destinationDevice: 0, bytes: 500, tokens: 2),
        ]
        let projection = TraceProjection(messages: messages, topology: topology, expertWork: work)
        #expect(close(projection.expertComputeSeconds, 2e-3))
        let flat = TraceProjection(messages: messages, topology: machine(shared: true), expertWork: work)
        #expect(close(flat.expertComputeSeconds, 2.75e-3 / 1.5))
    }

    @Test func sharedNodeAlsoComputesTheCoordinatorsSharedExpert() {
        // The shared expert: 1,000 FLOPs a token, 0.5 MB; 2 experts a token.
        let withShared = TraceExpertWork(flopsPerSlot: 1000, bytesPerExpert: 1e6, expertsPerHost: 4, format: .bf16,
                                         sharedFlopsPerToken: 1000, sharedBytes: 0.5e6, expertsPerToken: 2)
        let slots = [1: 1, 2: 2]
        // 3 slots are 2 tokens: the hosts' 2.75 MB and the shared expert's 0.5 MB at the shared 1.5 GB/s.
        #expect(close(withShared.seconds(slotsPerDevice: slots, topology: machine(shared: true), coordinatorDevice: 0), 3.25e-3 / 1.5))
        // With the curve the shared expert streams at 2 tokens' rate: 0.5 MB at 0.75 GB/s beside the hosts' 2 ms.
        let curve = WeightStreaming(points: [.init(tokens: 1, bytesPerSecond: 1.5e9), .init(tokens: 2, bytesPerSecond: 0.75e9)])
        #expect(close(withShared.seconds(slotsPerDevice: slots, topology: machine(shared: true, streaming: curve), coordinatorDevice: 0),
                      2e-3 + 0.5e6 / 0.75e9))
        // A coordinator on a GPU of its own computes it beside the exchange; none named, nothing charged.
        #expect(close(withShared.seconds(slotsPerDevice: slots, topology: machine(shared: false), coordinatorDevice: 0), 1.75e-3))
        #expect(close(withShared.seconds(slotsPerDevice: slots, topology: machine(shared: true)), 2.75e-3 / 1.5))
        // A trace's exchange names its coordinator by its dispatches' source.
        let messages = [
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: true, sourceDevice: 0, destinationDevice: 1, bytes: 1000, slots: 1, tokens: 1),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: true, sourceDevice: 0, destinationDevice: 2, bytes: 2000, slots: 2, tokens: 2),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: false, sourceDevice: 1, destinationDevice: 0, bytes: 500, tokens: 1),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: false, sourceDevice: 2, destinationDevice: 0, bytes: 500, tokens: 2),
        ]
        #expect(close(TraceProjection(messages: messages, topology: machine(shared: true), expertWork: withShared).expertComputeSeconds, 3.25e-3 / 1.5))
    }

    @Test func exchangeIsDispatchComputeCombine() {
        // Coordinator and host 0 on gpu0 (as cluster/local-dgx-b200.json puts them), host 1 on gpu1.
        let messages = [
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: true, sourceDevice: 0, destinationDevice: 0, bytes: 1000, slots: 1, tokens: 1),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: true, sourceDevice: 0, destinationDevice: 1, bytes: 2000, slots: 2, tokens: 2),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: false, sourceDevice: 0, destinationDevice: 0, bytes: 500, tokens: 1),
            TraceMessage(exchange: 1, step: 0, layer: 0, isDispatch: false, sourceDevice: 1, destinationDevice: 0, bytes: 500, tokens: 2),
        ]
        let shared = TraceProjection(messages: messages, topology: machine(shared: true), expertWork: work)
        // Dispatch through the shared port: 3000 B / 1 MB/s + 2 messages · 100 µs + 3 tokens · 10 µs + 50 µs = 3.28 ms.
        #expect(close(shared.dispatchSeconds, 3e-3 + 200e-6 + 30e-6 + 50e-6))
        // Combine: 1000 B → 1 ms + 200 µs + 30 µs + 50 µs = 1.28 ms.
        #expect(close(shared.combineSeconds, 1e-3 + 200e-6 + 30e-6 + 50e-6))
        // Compute: 2.75 MB at the shared 1.5 GB/s.
        #expect(close(shared.expertComputeSeconds, 2.75e-3 / 1.5))
        #expect(close(shared.inFlightSeconds, shared.dispatchSeconds + shared.expertComputeSeconds + shared.combineSeconds))

        // On GPUs (no shared CPU) the message to the coordinator's own device crosses no link.
        let gpus = TraceProjection(messages: messages, topology: machine(shared: false), expertWork: work)
        #expect(close(gpus.dispatchSeconds, 2e-3 + 100e-6 + 20e-6 + 50e-6))
    }
}
