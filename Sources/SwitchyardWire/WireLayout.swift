import SwitchyardCore

/// Sizes and offsets of the frame format (docs/WIRE.md), which the traffic ledger also reads.
public enum WireLayout {
    /// "SWYD" read as a little-endian u32.
    public static let magic: UInt32 = 0x4459_5753
    public static let version: UInt16 = 3
    public static let headerBytes = 64
    /// The checksum covers the header up to itself, then the metadata, then the payload.
    static let checksumOffset = 60

    /// Per token: index and pair count (u32 each); per pair: expert id (u32) and gate weight (f32).
    public static func dispatchMetadataBytes(tokens: Int, pairs: Int) -> Int { 8 * tokens + 8 * pairs }
    /// Per token: its index (u32).
    public static func combineMetadataBytes(tokens: Int) -> Int { 4 * tokens }
    public static func payloadBytes(rows: Int, width: Int, type: PayloadType) -> Int { type.payloadBytes(rows: rows, width: width) }

    /// Whole dispatch frame: header, routes, activations.
    public static func dispatchFrameBytes(tokens: Int, pairs: Int, hidden: Int, type: PayloadType) -> Int {
        headerBytes + dispatchMetadataBytes(tokens: tokens, pairs: pairs) + payloadBytes(rows: tokens, width: hidden, type: type)
    }

    /// Whole combine frame: header, token indices, partial sums.
    public static func combineFrameBytes(tokens: Int, hidden: Int, type: PayloadType) -> Int {
        headerBytes + combineMetadataBytes(tokens: tokens) + payloadBytes(rows: tokens, width: hidden, type: type)
    }
}

/// The fixed 64-byte header, field for field (all little-endian).
struct FrameHeader: Equatable {
    var version: UInt16 = WireLayout.version
    var kind: UInt8
    var payloadType: UInt8
    var step: UInt64
    var layer: UInt32
    var microBatch: UInt32
    var host: UInt32
    var tokens: UInt32
    var pairs: UInt32
    var width: UInt32
    var metadataLength: UInt32
    var payloadLength: UInt64
    /// A dispatch's: the payload type its combine comes back in (offset 44); 0 in other frames.
    var combineType: UInt8 = 0
    var checksum: UInt32 = 0

    /// The header's bytes; the checksum field is written as `checksum`.
    var bytes: [UInt8] {
        var writer = ByteWriter(capacity: WireLayout.headerBytes)
        writer.u32(WireLayout.magic)
        writer.u16(version)
        writer.u8(kind)
        writer.u8(payloadType)
        writer.u64(step)
        writer.u32(layer)
        writer.u32(microBatch)
        writer.u32(host)
        writer.u32(tokens)
        writer.u32(pairs)
        writer.u32(width)
        writer.u32(metadataLength)
        writer.u8(combineType)
        writer.u8(0)
        writer.u16(0)
        writer.u64(payloadLength)
        writer.u32(0)
        writer.u32(checksum)
        assert(writer.bytes.count == WireLayout.headerBytes)
        return writer.bytes
    }

    /// Reads the fields of a 64-byte header; only the magic is checked here.
    init(reading raw: UnsafeRawBufferPointer) throws(WireError) {
        guard raw.count >= WireLayout.headerBytes else {
            throw .truncated(part: "header", needed: WireLayout.headerBytes, available: raw.count)
        }
        var reader = ByteReader(raw, part: "header")
        let magic = try reader.u32()
        guard magic == WireLayout.magic else { throw .badMagic(found: magic) }
        version = try reader.u16()
        kind = try reader.u8()
        payloadType = try reader.u8()
        step = try reader.u64()
        layer = try reader.u32()
        microBatch = try reader.u32()
        host = try reader.u32()
        tokens = try reader.u32()
        pairs = try reader.u32()
        width = try reader.u32()
        metadataLength = try reader.u32()
        combineType = try reader.u8()
        let reserved1 = UInt32(try reader.u8()) | UInt32(try reader.u16()) << 8
        guard reserved1 == 0 else { throw .outOfRange(field: "header.reserved (offset 45)", value: UInt64(reserved1), allowed: "0") }
        payloadLength = try reader.u64()
        let reserved2 = try reader.u32()
        guard reserved2 == 0 else { throw .outOfRange(field: "header.reserved (offset 56)", value: UInt64(reserved2), allowed: "0") }
        checksum = try reader.u32()
    }

    init(kind: UInt8, payloadType: UInt8, step: UInt64, layer: UInt32, microBatch: UInt32, host: UInt32,
         tokens: UInt32, pairs: UInt32, width: UInt32, metadataLength: UInt32, payloadLength: UInt64) {
        self.kind = kind
        self.payloadType = payloadType
        self.step = step
        self.layer = layer
        self.microBatch = microBatch
        self.host = host
        self.tokens = tokens
        self.pairs = pairs
        self.width = width
        self.metadataLength = metadataLength
        self.payloadLength = payloadLength
    }
}
