import Testing
@testable import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardModelConfig

@Suite struct CostModelTests {
    @Test func oneNVLinkTransfer() {
        // 1 GB over a 100 GB/s port each way, 2 µs latency: 10 ms + 2 µs.
        let links = LinkModel(topology: testTopology(gpus: 2))
        var ports: [Double] = []
        let t = links.exchange(pairBytes: pairs(2, [(0, 1, 1e9)]), portBytes: &ports)
        #expect(close(t.seconds, 0.010_002))
        #expect(close(t.latencySeconds, 2e-6))
        #expect(links.ports[t.busiestPort!].name.hasPrefix("n0/g0 fabric out"))
        #expect(close(t.busiestPortBandwidth, 1e9 / 0.010_002))
        #expect(ports.filter { $0 > 0 }.count == 2)   // the sender's out port and the receiver's in port
    }

    @Test func hotReceiverSerializesEverythingSentToIt() {
        // Three GPUs send 1 GB each to GPU 0: its in port carries 3 GB at 100 GB/s = 30 ms.
        let links = LinkModel(topology: testTopology(gpus: 4))
        var ports: [Double] = []
        let t = links.exchange(pairBytes: pairs(4, [(1, 0, 1e9), (2, 0, 1e9), (3, 0, 1e9)]), portBytes: &ports)
        #expect(close(t.seconds, 0.030_002))
        #expect(links.ports[t.busiestPort!].name == "n0/g0 fabric in")
        #expect(t.busiestPortBytes == 3e9)
    }

    @Test func interNodeTransferThroughASharedNIC() {
        // Two GPUs of node 0 each send 1 GB to node 1 through the node's one 12.5 GB/s NIC: 160 ms + 5 µs.
        let links = LinkModel(topology: testTopology(nodes: 2, gpus: 2, nicsPer: .node))
        var ports: [Double] = []
        let t = links.exchange(pairBytes: pairs(4, [(0, 2, 1e9), (1, 3, 1e9)]), portBytes: &ports)
        #expect(close(t.seconds, 0.160_005))
        #expect(links.ports[t.busiestPort!].name == "n0 NIC out")
        // The same traffic with a NIC per GPU takes half as long: 80 ms + 5 µs.
        let perGPU = LinkModel(topology: testTopology(nodes: 2, gpus: 2, nicsPer: .gpu))
        #expect(close(perGPU.exchange(pairBytes: pairs(4, [(0, 2, 1e9), (1, 3, 1e9)]), portBytes: &ports).seconds, 0.080_005))
    }

    @Test func railOptimizedTrafficCrossesToAnotherRailOverTheFabric() {
        let links = LinkModel(topology: testTopology(nodes: 2, gpus: 2, railOptimized: true))
        let names = links.path(from: 0, to: 3).map { links.ports[$0].name }
        #expect(names == ["n0/g0 NIC out", "n1/g0 NIC in", "n1/g0 fabric out", "n1/g1 fabric in"])
        #expect(close(links.latency[0 * 4 + 3], 7e-6))
        #expect(links.path(from: 0, to: 2).map { links.ports[$0].name } == ["n0/g0 NIC out", "n1/g0 NIC in"])
    }

    @Test func fullMeshSplitsAGPUsBandwidthOverItsPeers() {
        var topology = testTopology(gpus: 4)
        topology.scaleUp.switched = false
        let links = LinkModel(topology: topology)
        var ports: [Double] = []
        // 1 GB over one of three links of 100/3 GB/s: 30 ms + 2 µs.
        #expect(close(links.exchange(pairBytes: pairs(4, [(0, 1, 1e9)]), portBytes: &ports).seconds, 0.030_002))
    }

    @Test func decodeExpertGEMMIsMemoryBound() {
        // One fp8 expert of Mistral Small 4 for 4 tokens on an H100 at peak rates.
        let footprint = ModelFootprint(config: ModelPreset.mistralSmall4.config, weights: .fp8)
        #expect(footprint.perExpertBytes == 25_165_824 + 1536 * 4)   // 3 matrices of 512 blocks of 128×128
        let work = CostModel(footprint: footprint, phase: .decode, context: 1).experts(routedTokens: 4, activeExperts: 1)
        #expect(work.flops == 2 * 25_165_824 * 4)
        #expect(work.bytes == 25_171_968 + 4 * 4 * 4096)
        let t = Roofline.time(work, on: testGPU, achievable: .peak)
        #expect(t.memoryBound)
        #expect(close(t.seconds, 25_237_504 / 3.35e12))
        #expect(close(t.computeSeconds, 201_326_592 / 1979e12))
    }

    @Test func prefillExpertGEMMIsComputeBound() {
        // 4096 tokens through one bf16 expert: 206 TFLOP at 989 TFLOPS.
        let footprint = ModelFootprint(config: ModelPreset.mistralSmall4.config, weights: .bf16)
        let work = CostModel(footprint: footprint, phase: .prefill, context: 4096).experts(routedTokens: 4096, activeExperts: 1)
        let t = Roofline.time(work, on: testGPU, achievable: .peak)
        #expect(!t.memoryBound)
        #expect(close(t.seconds, 2 * 25_165_824 * 4096 / 989e12))
        #expect(close(t.memorySeconds, (50_331_648 + 4096 * 16384) / 3.35e12))
        // Achievable fractions scale each side separately.
        let derated = Roofline.time(work, on: testGPU, achievable: AchievableFractions(compute: 0.5, hbm: 1, scaleUp: 1, scaleOut: 1))
        #expect(close(derated.seconds, 2 * t.seconds))
    }

    @Test func weightAndCacheSizes() {
        let config = ModelPreset.mistralSmall4.config
        let bf16 = ModelFootprint(config: config, weights: .bf16)
        // MLA cache: (256 + 64) × 36 values of 2 bytes; a 256k-token sequence about 5.6 GiB.
        #expect(bf16.kvBytesPerToken == 23_040)
        #expect(close(bf16.kvBytesPerToken * 262_144 / 1_073_741_824, 5.625))
        // Attention matrices plus their two norms add up to ParameterCount's attention.
        let count = ParameterCount(config)
        #expect(bf16.attentionBytesPerLayer == 2 * Double(count.attention / 36))
        #expect(close(bf16.expertBytesAcrossLayers * 128 + bf16.attentionSideBytes, 2 * Double(count.total)))
        // nvfp4: half a byte a value, one byte of scale per 16 values, 4 bytes per tensor.
        #expect(WeightFormat.nvfp4.matrixBytes(rows: 2048, cols: 4096) == 4_194_304 + 524_288 + 4)
        #expect(DispatchDType.fp8.bytes(hidden: 4096) == 4096 + 32 * 4)
    }

    @Test func placementDealsExperts() throws {
        let topology = testTopology(gpus: 4)
        let contiguous = try Deployment(topology: topology, experts: 128, mode: .disaggregated, placement: .contiguous)
        #expect(contiguous.expertDevices == [1, 2, 3])
        #expect([1, 2, 3].map(contiguous.expertCount) == [43, 43, 42])
        #expect(contiguous.expertOwner[42] == 1 && contiguous.expertOwner[43] == 2)
        let roundRobin = try Deployment(topology: topology, experts: 128, mode: .disaggregated, placement: .roundRobin)
        #expect(roundRobin.expertOwner[0...3] == [1, 2, 3, 1])
        let colocated = try Deployment(topology: topology, experts: 128, mode: .colocated)
        #expect(colocated.attentionDevices == [0, 1, 2, 3] && colocated.expertCount(on: 0) == 32)
        #expect(throws: DeploymentError.self) { try Deployment(topology: topology, experts: 128, mode: .disaggregated, coordinatorGPUs: 4) }
    }

    @Test func capacityPlanCountsKVCacheOnTheCoordinator() throws {
        let gpu = GPUModel(name: "H200", memoryBytes: 141e9, hbmBytesPerSecond: 4.8e12, denseFLOPS: [.bf16: 989e12])
        let topology = testTopology(gpus: 2, gpu: gpu)
        let deployment = try Deployment(topology: topology, experts: 128, mode: .disaggregated)
        let config = ModelPreset.mistralSmall4.config
        let fp8 = ModelFootprint(config: config, weights: .fp8)
        let plan = CapacityPlan(footprint: fp8, deployment: deployment, context: 8192, reserveBytes: 4 * 1_073_741_824)
        #expect(plan.fits)
        let free = 141e9 - fp8.attentionSideBytes - 4 * 1_073_741_824
        #expect(plan.devices[0].kvTokens == Int(free / 23_040))
        #expect(plan.sequences == Int(free / 23_040) / 8192)
        #expect(plan.devices[1].weightBytes == 128 * 36 * 25_171_968)
        let bf16 = CapacityPlan(footprint: ModelFootprint(config: config, weights: .bf16), deployment: deployment,
                                context: 8192, reserveBytes: 4 * 1_073_741_824)
        #expect(!bf16.fits && bf16.verdict.contains("n0/g1"))
    }

    @Test func allToAllSendsATokenOnceToEachRank() {
        // Two ranks, two experts, both chosen by every token: each token crosses once, with one pair's
        // route, in a wire frame: 64-byte header, 8 bytes per token and per pair, then the values.
        let r = AllToAll.simulate(topology: testTopology(gpus: 2), ranks: 2, tokensPerRank: 1, hidden: 4096, experts: 2, topK: 2,
                                  dispatchDType: .bf16, combineDType: .fp32)
        let dispatchFrame: Double = 64 + 8 + 8 + 8192, combineFrame: Double = 64 + 4 + 16384
        #expect(r.dispatchBytesPerRank == [dispatchFrame, dispatchFrame])
        #expect(r.combineBytesPerRank == [combineFrame, combineFrame])
        #expect(close(r.dispatch.seconds, 8272 / 100e9 + 2e-6))
    }
}
