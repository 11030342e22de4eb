import SwitchyardTopology

/// How weights are stored. Bytes include the scales each format carries.
public enum WeightFormat: String, CaseIterable, Sendable {
    /// 2 bytes a parameter.
    case bf16
    /// 1 byte a parameter plus one float32 scale per 128×128 block (DeepSeek-V3's layout).
    case fp8
    /// Half a byte a parameter plus one FP8 scale per 16 values and one float32 scale per tensor.
    case nvfp4
    /// 4 bytes a parameter: the CPU runtime's float32 weights (`switchyard run`'s synthetic default),
    /// for timing a trace on a calibrated machine; its GEMMs run at the `bf16` throughput, which a
    /// calibrated topology states as the CPU's measured float32 rate.
    case f32

    /// The formats GPU deployments are planned in (`plan --all`).
    public static let gpuFormats: [WeightFormat] = [.bf16, .fp8, .nvfp4]

    /// Bytes of a `rows` × `cols` matrix, scales included.
    public func matrixBytes(rows: Int, cols: Int) -> Double {
        let values = Double(rows) * Double(cols)
        switch self {
        case .bf16: return 2 * values
        case .fp8: return values + 4 * Double(ceilDiv(rows, 128) * ceilDiv(cols, 128))
        case .nvfp4: return 0.5 * values + Double(ceilDiv(rows * cols, 16)) + 4
        case .f32: return 4 * values
        }
    }

    /// The tensor-core format its GEMMs run in.
    public var computeFormat: NumberFormat {
        switch self {
        case .bf16: .bf16
        case .fp8: .fp8
        case .nvfp4: .fp4
        case .f32: .bf16
        }
    }
}

/// The format of the activations sent to the experts.
public enum DispatchDType: String, CaseIterable, Sendable {
    case bf16
    /// One byte a value plus one float32 scale per 128 values, as DeepEP sends.
    case fp8

    public func bytes(hidden: Int) -> Double {
        switch self {
        case .bf16: 2 * Double(hidden)
        case .fp8: Double(hidden) + 4 * Double(ceilDiv(hidden, 128))
        }
    }
}

/// The format of the gate-weighted partial sums coming back.
public enum CombineDType: String, CaseIterable, Sendable {
    case bf16, fp32

    public func bytes(hidden: Int) -> Double {
        switch self {
        case .bf16: 2 * Double(hidden)
        case .fp32: 4 * Double(hidden)
        }
    }
}

/// The KV cache's element format.
public enum KVCacheDType: String, CaseIterable, Sendable {
    case bf16, fp8

    public var bytesPerValue: Double { self == .bf16 ? 2 : 1 }
}

@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
