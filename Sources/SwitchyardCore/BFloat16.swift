import CKernels

/// Conversions between float32 and bfloat16 bit patterns.
public enum BFloat16 {
    @inlinable @inline(__always)
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Rounds to nearest, ties to even, as PyTorch does; NaN stays NaN.
    @inlinable @inline(__always)
    public static func bits(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (x >> 16) | 0x40) }
        let rounding = UInt32(0x7FFF) + ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: (x &+ rounding) >> 16)
    }

    /// Every value rounded to bfloat16, with the SIMD kernel.
    public static func bits(of values: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                if let from = source.baseAddress, let to = target.baseAddress { sy_f32_to_bf16(from, to, source.count) }
            }
        }
        return out
    }

    /// Every bfloat16 value widened to float32, with the SIMD kernel.
    public static func floats(of bits: ArraySlice<UInt16>) -> [Float] {
        var out = [Float](repeating: 0, count: bits.count)
        bits.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                if let from = source.baseAddress, let to = target.baseAddress { sy_bf16_to_f32(from, to, source.count) }
            }
        }
        return out
    }

    public static func floats(of bits: [UInt16]) -> [Float] { floats(of: bits[...]) }
}
