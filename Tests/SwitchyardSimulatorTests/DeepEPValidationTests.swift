import Foundation
import Testing
@testable import SwitchyardSimulator
import SwitchyardTopology

/// `simulate alltoall` on H800 nodes against DeepEP's published kernel measurements
/// (github.com/deepseek-ai/DeepEP, README "Performance" tables, H800 with one ConnectX-7
/// 400 Gb/s NIC per GPU; figures as recalled from the README of mid-2025, see docs/SIMULATOR.md).
/// Each ratio is simulated time / published time and must stay within ±25%.
@Suite struct DeepEPValidationTests {
    /// Normal kernels: 4096 tokens per rank, hidden 7168, top-8 of 256 experts on at most
    /// min(nodes, 4) nodes, FP8 dispatch, BF16 combine. "Bottleneck bandwidth", GB/s: NVLink at 8
    /// ranks (one node), RDMA beyond.
    static let normalDispatchGBps: [Int: Double] = [8: 153, 16: 43, 32: 58, 64: 51]
    static let normalCombineGBps: [Int: Double] = [8: 158, 16: 43, 32: 57, 64: 50]
    /// Low-latency kernels: 128 tokens per rank, hidden 7168, top-8 of 256 experts, FP8 dispatch,
    /// BF16 combine. Latency, µs.
    static let lowLatencyDispatchMicroseconds: [Int: Double] = [8: 77, 16: 118, 32: 155, 64: 173, 128: 192, 256: 194]
    static let lowLatencyCombineMicroseconds: [Int: Double] = [8: 114, 16: 195, 32: 273, 64: 314, 128: 369, 256: 360]

    static let hidden = 7168, experts = 256, topK = 8
    /// DeepEP's byte counts: FP8 is hidden × 2 × (1 + 4/128) / 2 bytes a token (values and scales);
    /// BF16 is hidden × 2.
    static let fp8TokenBytes = Double(hidden) * 2 * (1 + 4.0 / 128) / 2
    static let bf16TokenBytes = Double(hidden) * 2

    static func h800(nodes: Int) throws -> Topology {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try Topology.load(contentsOf: repository.appendingPathComponent("topologies/hgx-h800.json")).replicatingNodes(nodes)
    }

    static func within(_ ratio: Double) -> Bool { ratio >= 0.75 && ratio <= 1.25 }

    /// Ratios of the normal kernels: DeepEP divides (token, node) pairs of a rank, its own node
    /// included, times the token's bytes, by the time (RDMA); at one node, the tokens a rank
    /// receives, its own included (NVLink). Counted on the simulated routing.
    static func normalRatios(ranks: Int) throws -> (dispatch: Double, combine: Double) {
        let r = AllToAll.simulate(topology: try h800(nodes: max(1, ranks / 8)), ranks: ranks, tokensPerRank: 4096, hidden: hidden,
                                  experts: experts, topK: topK, dispatchDType: .fp8, combineDType: .bf16,
                                  algorithm: .hierarchical, nodeLimit: 4)
        let counted = Double(ranks == 8 ? r.spread.tokenDevices : r.spread.tokenNodes) / Double(ranks)
        let dispatchTime = counted * fp8TokenBytes / (normalDispatchGBps[ranks]! * 1e9)
        let combineTime = counted * bf16TokenBytes / (normalCombineGBps[ranks]! * 1e9)
        return (r.dispatch.seconds / dispatchTime, r.combine.seconds / combineTime)
    }

    static func lowLatencyRatios(ranks: Int) throws -> (dispatch: Double, combine: Double) {
        let r = AllToAll.simulate(topology: try h800(nodes: max(1, ranks / 8)), ranks: ranks, tokensPerRank: 128, hidden: hidden,
                                  experts: experts, topK: topK, dispatchDType: .fp8, combineDType: .bf16, algorithm: .lowLatency)
        return (r.dispatch.seconds / (lowLatencyDispatchMicroseconds[ranks]! * 1e-6),
                r.combine.seconds / (lowLatencyCombineMicroseconds[ranks]! * 1e-6))
    }

    @Test(arguments: [8, 16, 32, 64]) func normalKernelsWithinAQuarter(ranks: Int) throws {
        let (d, c) = try Self.normalRatios(ranks: ranks)
        print("DeepEP normal, \(ranks) ranks: dispatch \(String(format: "%.2f", d)), combine \(String(format: "%.2f", c))")
        #expect(Self.within(d), "dispatch at \(ranks) ranks: simulated / published time \(d)")
        #expect(Self.within(c), "combine at \(ranks) ranks: simulated / published time \(c)")
    }

    @Test(arguments: [8, 16, 32, 64, 128, 256]) func lowLatencyKernelsWithinAQuarter(ranks: Int) throws {
        let (d, c) = try Self.lowLatencyRatios(ranks: ranks)
        print("DeepEP low-latency, \(ranks) ranks: dispatch \(String(format: "%.2f", d)), combine \(String(format: "%.2f", c))")
        #expect(Self.within(d), "dispatch at \(ranks) ranks: simulated / published time \(d)")
        #expect(Self.within(c), "combine at \(ranks) ranks: simulated / published time \(c)")
    }
}
