import Testing
@testable import SwitchyardWire

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        // The check value of CRC-32C and RFC 3720's iSCSI test vectors.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
    }

    @Test func incrementalOverAnySplitEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let whole = CRC32C.checksum(bytes)
        for first in [0, 1, 7, 8, 9, 63, 64, 500, 999, 1000] {
            for second in [first, min(1000, first + 3), min(1000, first + 17)] {
                var crc = CRC32C()
                crc.update(Array(bytes[0..<first]))
                crc.update(Array(bytes[first..<second]))
                crc.update(Array(bytes[second...]))
                #expect(crc.value == whole, "split at \(first), \(second)")
            }
        }
    }

    @Test func slicingMatchesBitwiseDefinition() {
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        for length in [1, 5, 8, 15, 16, 17, 100, 257] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ length) }
            #expect(CRC32C.checksum(bytes) == bitwise(bytes), "length \(length)")
        }
    }
}

@Suite struct CRC32CPathTests {
    /// The instruction (where the CPU has it) and the tables agree on every length.
    @Test func hardwareAndTablesGiveTheSameValue() {
        // Past 3 KiB the instruction runs three interleaved streams joined by shifts: lengths around
        // and across those blocks, and a start mid-message (an incremental update's state).
        // From 1 KiB the folding path (where the CPU has VPCLMULQDQ) takes 256, then 64 bytes a step.
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1023, 1024, 1025, 1087, 1280, 1343, 3071, 3072, 3073, 4097, 6144, 6151, 9216 + 5, 100_003] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 3) }
            var tables = CRC32C(), narrow = CRC32C()
            bytes.withUnsafeBytes { tables.updateWithTables($0) }
            bytes.withUnsafeBytes { narrow.updateNarrow($0) }
            #expect(tables.value == CRC32C.checksum(bytes), "length \(length)")
            #expect(narrow.value == tables.value, "length \(length), crc32 instruction alone")
            var split = CRC32C(), splitTables = CRC32C()
            split.update(Array(bytes.prefix(length / 3)))
            split.update(Array(bytes.dropFirst(length / 3)))
            bytes.withUnsafeBytes { raw in
                splitTables.updateWithTables(UnsafeRawBufferPointer(rebasing: raw[..<(length / 3)]))
                splitTables.updateWithTables(UnsafeRawBufferPointer(rebasing: raw[(length / 3)...]))
            }
            #expect(split.value == splitTables.value && split.value == tables.value, "length \(length) in two parts")
        }
    }

    /// Checking while copying gives the tables' value and an exact copy, on every length and a
    /// start mid-message.
    @Test func updatingWhileCopyingGivesTheSameValueAndTheBytes() {
        for length in [0, 1, 7, 8, 9, 1023, 1024, 1343, 3071, 3072, 3073, 6151, 9216 + 5, 100_003] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
            var copied = [UInt8](repeating: 0xAA, count: length + 1)
            var crc = CRC32C(), tables = CRC32C()
            let start: [UInt8] = [1, 2, 3]
            crc.update(start)
            start.withUnsafeBytes { tables.updateWithTables($0) }
            bytes.withUnsafeBytes { source in
                copied.withUnsafeMutableBytes { crc.update(source, copyingInto: $0) }
                tables.updateWithTables(source)
            }
            #expect(crc.value == tables.value, "length \(length)")
            #expect(Array(copied.prefix(length)) == bytes && copied[length] == 0xAA, "length \(length)")
        }
    }
}
