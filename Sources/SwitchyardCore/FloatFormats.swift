/// Decoding the narrow float formats checkpoints store: IEEE half and FP8 E4M3 (the "FN" variant).
public enum FloatFormats {
    /// IEEE 754 binary16 to float32; exact for every value, subnormals and infinities included.
    @inline(__always)
    public static func float(half bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24, exact in float32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }

    /// FP8 E4M3FN to float32: 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits;
    /// no infinities, S.1111.111 is NaN, largest finite value 448.
    @inline(__always)
    public static func float(e4m3 bits: UInt8) -> Float {
        let negative = bits & 0x80 != 0
        let exponent = Int((bits >> 3) & 0x0F)
        let mantissa = Int(bits & 0x07)
        if exponent == 15, mantissa == 7 { return .nan }
        let magnitude: Float = exponent == 0
            ? Float(mantissa) * 0x1p-9 // subnormal: mantissa/8 × 2^-6
            : Float(8 + mantissa) * Float(sign: .plus, exponent: exponent - 7 - 3, significand: 1)
        return negative ? -magnitude : magnitude
    }

    /// A table of all 256 E4M3 values, indexed by bit pattern.
    public static let e4m3Table: [Float] = (0...255).map { float(e4m3: UInt8($0)) }
}
