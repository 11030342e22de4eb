/// Appends little-endian fields to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func f32(_ value: Float) { u32(value.bitPattern) }
    mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }
}

/// Reads little-endian fields from a buffer, throwing instead of reading past its end.
struct ByteReader {
    private let buffer: UnsafeRawBufferPointer
    private let part: String
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer, part: String) {
        self.buffer = buffer
        self.part = part
    }

    var remaining: Int { buffer.count - offset }

    private mutating func take(_ count: Int) throws(WireError) -> Int {
        guard count <= remaining else { throw .truncated(part: part, needed: offset + count, available: buffer.count) }
        defer { offset += count }
        return offset
    }

    mutating func u8() throws(WireError) -> UInt8 { buffer[try take(1)] }
    mutating func u16() throws(WireError) -> UInt16 { UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: try take(2), as: UInt16.self)) }
    mutating func u32() throws(WireError) -> UInt32 { UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self)) }
    mutating func u64() throws(WireError) -> UInt64 { UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self)) }
    mutating func f32() throws(WireError) -> Float { Float(bitPattern: try u32()) }

    /// `count` bytes, checked against what is left before anything is allocated.
    mutating func bytes(_ count: Int) throws(WireError) -> UnsafeRawBufferPointer {
        let start = try take(count)
        return UnsafeRawBufferPointer(rebasing: buffer[start..<start + count])
    }
}
