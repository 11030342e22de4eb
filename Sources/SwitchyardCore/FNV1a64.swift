/// FNV-1a, 64 bits: a small, stable digest for fingerprints and for seeding per-tensor generators.
/// Not cryptographic; it only has to tell checkpoints apart and spread names over seeds.
public struct FNV1a64: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    public mutating func add(_ text: String) { add(text.utf8) }

    public static func hash(_ text: String) -> UInt64 {
        var digest = FNV1a64()
        digest.add(text)
        return digest.value
    }

    /// The digest of `bytes` as sixteen lowercase hex digits.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var digest = FNV1a64()
        digest.add(bytes)
        return digest.hex
    }

    /// Sixteen lowercase hex digits.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
