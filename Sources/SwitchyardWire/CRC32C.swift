import CKernels

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum every frame carries.
///
/// Incremental, so a frame sent as header, metadata and payload parts is checksummed part by
/// part without joining them. The SSE4.2 instruction where the CPU has it (and, from 1 KiB, carry-less
/// folding with VPCLMULQDQ where the CPU has AVX-512 and it), slicing-by-8 tables (eight bytes a
/// step) everywhere else; all give the same value.
public struct CRC32C: Sendable {
    static let hardware = sy_crc32c_available() != 0
    private var state: UInt32 = 0xFFFF_FFFF

    public init() {}

    public var value: UInt32 { ~state }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !CRC32C.hardware else {
            if let base = bytes.baseAddress { state = sy_crc32c_update(state, base, bytes.count) }
            return
        }
        updateWithTables(bytes)
    }

    /// Takes `bytes` in and copies them to `destination` (at least as long, not overlapping) in
    /// the same pass: a receiver checks and copies a payload reading it once.
    public mutating func update(_ bytes: UnsafeRawBufferPointer, copyingInto destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= bytes.count, "\(bytes.count) bytes do not fit \(destination.count)")
        guard let source = bytes.baseAddress, let target = destination.baseAddress, bytes.count > 0 else { return }
        guard !CRC32C.hardware else {
            state = sy_crc32c_copy(state, source, bytes.count, target)
            return
        }
        target.copyMemory(from: source, byteCount: bytes.count)
        updateWithTables(bytes)
    }

    /// The crc32 instruction alone, without the folding path: what tests compare the folding against.
    mutating func updateNarrow(_ bytes: UnsafeRawBufferPointer) {
        guard CRC32C.hardware, let base = bytes.baseAddress else { return updateWithTables(bytes) }
        state = sy_crc32c_update_narrow(state, base, bytes.count)
    }

    /// The portable path, also what tests compare the instruction against.
    mutating func updateWithTables(_ bytes: UnsafeRawBufferPointer) {
        state = CRC32C.tables.withUnsafeBufferPointer { t in
            var crc = state
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                let low = crc ^ UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
            return crc
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// Table k maps a byte to its CRC after k further zero bytes; table 0 is the classic one.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()
}
