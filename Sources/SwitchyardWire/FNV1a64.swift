import SwitchyardModel
import Foundation

/// FNV-1a, 64 bits: a short, stable digest for fingerprints (not for integrity: frames use CRC32C).
public struct FNV1a64: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    }

    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hash = FNV1a64()
        hash.update(bytes)
        let digits = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension ModelConfig {
    /// What a coordinator and its hosts compare in the hello exchange: a digest of the
    /// configuration's JSON with sorted keys, so any field that changes the computation changes it.
    public var fingerprint: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return "\(modelType)-" + FNV1a64.hex(data)
    }
}
