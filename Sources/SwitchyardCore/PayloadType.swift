/// How activations travel: float32, or bfloat16 rounded to nearest even (half the bytes).
/// Coded as its name, as cluster files, traffic files and summary.json write it.
public enum PayloadType: String, CaseIterable, Sendable, Codable {
    case f32
    case bf16

    public var bytesPerValue: Int {
        switch self {
        case .f32: 4
        case .bf16: 2
        }
    }

    /// The frame header's code; 0 means the frame has no payload.
    public var wireCode: UInt8 {
        switch self {
        case .f32: 1
        case .bf16: 2
        }
    }

    public init?(wireCode: UInt8) {
        switch wireCode {
        case 1: self = .f32
        case 2: self = .bf16
        default: return nil
        }
    }
}
