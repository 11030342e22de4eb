/// The narrow float formats checkpoints store: IEEE half and FP8 E4M3 (the "FN" variant).
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

    /// float32 to FP8 E4M3FN, rounded to nearest (ties to even) and saturated to ±448, as FP8
    /// quantizers clamp before casting; NaN gives the NaN code 0x7F.
    public static func e4m3(_ value: Float) -> UInt8 {
        if value.isNaN { return 0x7F }
        let sign: UInt8 = value.sign == .minus ? 0x80 : 0
        let magnitude = abs(value)
        let exponent = Int(magnitude.bitPattern >> 23) - 127
        if exponent < -6 {
            // Subnormal codes are multiples of 2^-9; 8 · 2^-9 rounds up into the smallest normal, code 8.
            return sign | UInt8((magnitude * 0x1p9).rounded(.toNearestOrEven))
        }
        let mantissa = magnitude.bitPattern & 0x7F_FFFF
        let rounded = (mantissa + 0x7_FFFF + ((mantissa >> 20) & 1)) >> 20 // 0...8; 8 carries into the exponent
        return sign | UInt8(min((exponent + 7) << 3 + Int(rounded), 0x7E))
    }

    /// A table of all 256 E4M3 values, indexed by bit pattern.
    public static let e4m3Table: [Float] = (0...255).map { float(e4m3: UInt8($0)) }
}
