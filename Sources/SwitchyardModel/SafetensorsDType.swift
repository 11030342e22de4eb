/// The element types a safetensors header may name.
///
/// Only F32, BF16, F16 and F8_E4M3 can become weights; the others are recognised so that a
/// checkpoint carrying them (a step counter, a mask) still opens, and fail only when asked for.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case f8E4M3 = "F8_E4M3", f8E5M2 = "F8_E5M2", f8E8M0 = "F8_E8M0"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .f8E4M3, .f8E5M2, .f8E8M0, .i8, .u8, .bool: 1
        }
    }

    /// Whether tensors of this type can be read as weights.
    public var isWeightType: Bool {
        switch self {
        case .f32, .bf16, .f16, .f8E4M3: true
        default: false
        }
    }
}
