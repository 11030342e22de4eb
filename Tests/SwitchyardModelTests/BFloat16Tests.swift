import Testing
@testable import SwitchyardModel
import SwitchyardCore

@Suite struct BFloat16Tests {
    /// The SIMD conversion rounds exactly as the scalar definition, including ties, NaN, infinities
    /// and subnormals, and lengths that leave a tail after the 8-wide loop.
    @Test func bulkConversionMatchesTheScalarRounding() {
        var values: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -.leastNormalMagnitude,
                               .greatestFiniteMagnitude, Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000),
                               Float(bitPattern: 0x3F80_7FFF), Float(bitPattern: 0x3F80_8001), 3.14159, -2.71828e-20]
        var state: UInt32 = 12345
        for _ in 0..<1000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            values.append(Float(bitPattern: state))
        }
        for length in [0, 1, 7, 8, 9, 17, values.count] {
            let slice = Array(values.prefix(length))
            let bulk = BFloat16.bits(of: slice)
            let scalar = slice.map(BFloat16.bits)
            #expect(bulk == scalar, "length \(length)")
        }
        // Ties go to even: 1 + 2^-8 rounds down to 1, 1 + 3·2^-8 up to 1 + 2^-6.
        #expect(BFloat16.bits(of: [Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000)]) == [0x3F80, 0x3F82])
        #expect(BFloat16.float(BFloat16.bits(of: [.nan])[0]).isNaN)
    }

    @Test func wideningIsExact() {
        let bits: [UInt16] = (0..<300).map { UInt16(truncatingIfNeeded: $0 &* 219) }
        #expect(BFloat16.floats(of: bits).map(\.bitPattern) == bits.map { UInt32($0) << 16 })
    }
}
