import Foundation
import Testing
@testable import SwitchyardModel
import SwitchyardCore

@Suite struct FloatFormatsTests {
    @Test(arguments: [
        (UInt16(0x0000), Float(0)), (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125), (0x7BFF, 65504),
        (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x0400, 0x1p-14), (0x7C00, .infinity), (0xFC00, -.infinity),
    ])
    func halfDecodesExactly(bits: UInt16, value: Float) {
        #expect(FloatFormats.float(half: bits) == value)
    }

    @Test func halfKeepsNegativeZeroAndNaN() {
        #expect(FloatFormats.float(half: 0x8000).sign == .minus && FloatFormats.float(half: 0x8000) == 0)
        #expect(FloatFormats.float(half: 0x7E00).isNaN)
        #expect(FloatFormats.float(half: 0x8001) == -0x1p-24)
    }

    /// E4M3FN: sign, 4 exponent bits with bias 7, 3 mantissa bits; subnormals below 2^-6; no infinities.
    @Test(arguments: [
        (UInt8(0x00), Float(0)), (0x01, 0.001953125), (0x07, 0.013671875), (0x08, 0.015625), (0x0F, 0.029296875),
        (0x38, 1), (0x3C, 1.5), (0x40, 2), (0x77, 240), (0x78, 256), (0x7E, 448),
        (0x81, -0.001953125), (0xB8, -1), (0xFE, -448),
    ])
    func e4m3DecodesExactly(bits: UInt8, value: Float) {
        #expect(FloatFormats.float(e4m3: bits) == value)
        #expect(FloatFormats.e4m3Table[Int(bits)] == value)
    }

    @Test func e4m3HasOnlyTwoNaNsAndNoInfinities() {
        let table = FloatFormats.e4m3Table
        #expect(table.indices.filter { table[$0].isNaN } == [0x7F, 0xFF])
        #expect(!table.contains { $0.isInfinite })
        #expect(table.filter { !$0.isNaN }.max() == 448)
        #expect(FloatFormats.float(e4m3: 0x80).sign == .minus)
        // Every finite pattern against the formula, computed in double precision.
        for bits in 0..<256 where bits & 0x7F != 0x7F {
            let sign: Double = bits & 0x80 == 0 ? 1 : -1
            let e = (bits >> 3) & 0xF, m = Double(bits & 7)
            let expected = e == 0 ? sign * m / 8 * pow(2, -6) : sign * (1 + m / 8) * pow(2, Double(e - 7))
            #expect(Double(table[bits]) == expected, "bits \(bits)")
        }
    }

    /// Encoding: every finite code round-trips; values between two codes go to the nearer (ties to
    /// the even code); beyond 448 saturates.
    @Test func e4m3EncodesToNearestEvenAndSaturates() {
        for code in 0..<256 where code & 0x7F != 0x7F {
            #expect(FloatFormats.e4m3(FloatFormats.float(e4m3: UInt8(code))) == UInt8(code), "code \(code)")
        }
        let finite = (0..<0x7F).map { FloatFormats.float(e4m3: UInt8($0)) }
        for code in 0..<0x7E {
            let (low, high) = (finite[code], finite[code + 1])
            let middle = (low + high) / 2
            #expect(FloatFormats.e4m3(middle) == UInt8(code % 2 == 0 ? code : code + 1), "tie between \(low) and \(high)")
            #expect(FloatFormats.e4m3(middle.nextDown) == UInt8(code), "below the tie \(middle)")
            #expect(FloatFormats.e4m3(middle.nextUp) == UInt8(code + 1), "above the tie \(middle)")
            #expect(FloatFormats.e4m3(-middle.nextUp) == UInt8(code + 1) | 0x80)
        }
        #expect(FloatFormats.e4m3(449) == 0x7E && FloatFormats.e4m3(1e30) == 0x7E && FloatFormats.e4m3(-.infinity) == 0xFE)
        #expect(FloatFormats.e4m3(.nan) == 0x7F)
        #expect(FloatFormats.e4m3(1e-30) == 0x00 && FloatFormats.e4m3(-0.0) == 0x80)
    }
}
