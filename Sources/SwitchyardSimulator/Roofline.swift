import SwitchyardTopology

/// The work of one kernel: FLOPs in each format and bytes moved through HBM.
public struct Work: Sendable, Equatable {
    public var flops: Double
    public var format: NumberFormat
    /// FLOPs that run at bf16 whatever the weights (attention scores and values).
    public var bf16Flops: Double
    public var bytes: Double

    public init(flops: Double, format: NumberFormat, bf16Flops: Double = 0, bytes: Double) {
        self.flops = flops
        self.format = format
        self.bf16Flops = bf16Flops
        self.bytes = bytes
    }

    public static let none = Work(flops: 0, format: .bf16, bytes: 0)
}

/// A kernel's time on a device: the larger of its compute time and its memory time.
public struct KernelTime: Sendable, Equatable {
    public var computeSeconds: Double
    public var memorySeconds: Double
    public var seconds: Double { max(computeSeconds, memorySeconds) }
    public var memoryBound: Bool { memorySeconds > computeSeconds }

    public static let zero = KernelTime(computeSeconds: 0, memorySeconds: 0)
}

public enum Roofline {
    /// time = max(FLOPs / (peak × compute fraction), bytes / (HBM × HBM fraction)).
    public static func time(_ work: Work, on gpu: GPUModel, achievable: AchievableFractions) -> KernelTime {
        var compute = 0.0
        if work.flops > 0 { compute += work.flops / (gpu.peakFLOPS(work.format) * achievable.compute) }
        if work.bf16Flops > 0 { compute += work.bf16Flops / (gpu.peakFLOPS(.bf16) * achievable.compute) }
        let memory = work.bytes > 0 ? work.bytes / (gpu.hbmBytesPerSecond * achievable.hbm) : 0
        return KernelTime(computeSeconds: compute, memorySeconds: memory)
    }
}
