/// Why bytes are not a frame: the field at fault, the value found and what was allowed.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the header or its declared lengths need.
    case truncated(part: String, needed: Int, available: Int)
    case badMagic(found: UInt32)
    case unsupportedVersion(found: UInt16, supported: UInt16)
    case unknownKind(found: UInt8)
    /// A field whose value the model or the frame's kind does not allow.
    case outOfRange(field: String, value: UInt64, allowed: String)
    /// A declared length that disagrees with the counts or with the bytes received.
    case lengthMismatch(field: String, declared: UInt64, expected: UInt64)
    case checksumMismatch(declared: UInt32, computed: UInt32)
    /// A structural problem inside the body (order, duplicates, encoding).
    case malformed(field: String, problem: String)

    public var description: String {
        switch self {
        case let .truncated(part, needed, available):
            "truncated frame: the \(part) needs \(needed) bytes, \(available) arrived"
        case let .badMagic(found):
            "bad magic 0x\(String(found, radix: 16)), expected 0x\(String(WireLayout.magic, radix: 16)) (\"SWYD\")"
        case let .unsupportedVersion(found, supported):
            "unsupported wire version \(found), this build speaks version \(supported)"
        case let .unknownKind(found):
            "unknown frame kind \(found), expected 1...\(FrameKind.allCases.count)"
        case let .outOfRange(field, value, allowed):
            "\(field) is \(value), allowed \(allowed)"
        case let .lengthMismatch(field, declared, expected):
            "\(field) is \(declared) bytes, expected \(expected)"
        case let .checksumMismatch(declared, computed):
            "checksum mismatch: the frame says 0x\(String(declared, radix: 16)), its bytes give 0x\(String(computed, radix: 16))"
        case let .malformed(field, problem):
            "\(field): \(problem)"
        }
    }
}
