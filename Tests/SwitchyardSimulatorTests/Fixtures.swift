import SwitchyardSimulator
import SwitchyardTopology

/// An H100-like GPU with round figures.
let testGPU = GPUModel(name: "G", memoryBytes: 80e9, hbmBytesPerSecond: 3.35e12, denseFLOPS: [.bf16: 989e12, .fp8: 1979e12])

/// `nodes` nodes of `gpus` GPUs at peak rates (every achievable fraction 1).
func testTopology(nodes: Int = 1, gpus: Int, fabric: Double = 100e9, fabricLatency: Double = 2e-6,
                  nic: Double = 12.5e9, nicsPer: ScaleOutNetwork.Attachment = .gpu, railOptimized: Bool = false,
                  networkLatency: Double = 5e-6, achievable: AchievableFractions = .peak, gpu: GPUModel = testGPU) -> Topology {
    Topology(name: "test", gpuModels: [gpu.name: gpu],
             nodes: (0..<nodes).map { Node(name: "n\($0)", gpuModel: gpu.name, gpuNames: (0..<gpus).map { "g\($0)" }) },
             scaleUp: ScaleUpFabric(name: "fabric", bytesPerSecondEachWay: fabric, latencySeconds: fabricLatency),
             scaleOut: ScaleOutNetwork(name: "net", attachment: nicsPer, nicCount: 1, bytesPerSecondPerNIC: nic,
                                       latencySeconds: networkLatency, railOptimized: railOptimized),
             achievable: achievable)
}

/// Bytes from `source` to `destination` only.
func pairs(_ count: Int, _ entries: [(Int, Int, Double)]) -> [Double] {
    var bytes = [Double](repeating: 0, count: count * count)
    for (s, d, b) in entries { bytes[s * count + d] += b }
    return bytes
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance * max(abs(a), abs(b)) }
