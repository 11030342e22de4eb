/// A frame ready to send: header and metadata bytes, and the payload left where it is.
///
/// Over ZeroMQ the three go as a three-part message, the payload part handed over without a
/// copy (`payload.withUnsafeBytes`); over MPI `contiguous()` joins them into one buffer.
public struct EncodedFrame: Sendable {
    public var header: [UInt8]
    public var metadata: [UInt8]
    /// The activations whose bytes are the payload part; nil for frames without one.
    public var payload: ActivationRows?

    public init(header: [UInt8], metadata: [UInt8], payload: ActivationRows?) {
        self.header = header
        self.metadata = metadata
        self.payload = payload
    }

    public var payloadByteCount: Int { payload?.byteCount ?? 0 }
    public var byteCount: Int { header.count + metadata.count + payloadByteCount }

    /// Header, metadata and payload in one buffer.
    public func contiguous() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(byteCount)
        bytes.append(contentsOf: header)
        bytes.append(contentsOf: metadata)
        payload?.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes
    }
}

extension WireFrame {
    /// Encodes the frame; the checksum is computed over the parts in turn, without joining them.
    public func encoded() -> EncodedFrame {
        precondition((0...Int(UInt32.max)).contains(host), "host \(host) does not fit the wire")
        precondition((0...Int(UInt32.max)).contains(address.layer) && (0...Int(UInt32.max)).contains(address.microBatch),
                     "\(address) does not fit the wire")
        if !kind.carriesActivations {
            precondition(address.layer == 0 && address.microBatch == 0, "a \(kind) frame carries no layer or micro-batch")
        }
        let metadata = encodedMetadata()
        let payload = body.activations
        var header = FrameHeader(
            kind: kind.rawValue, payloadType: payload?.type.wireCode ?? 0, step: address.step,
            layer: UInt32(address.layer), microBatch: UInt32(address.microBatch), host: UInt32(host),
            tokens: UInt32(payload?.rows ?? 0), pairs: 0, width: UInt32(payload?.width ?? 0),
            metadataLength: UInt32(metadata.count), payloadLength: UInt64(payload?.byteCount ?? 0))
        if case let .dispatch(dispatch) = body {
            header.pairs = UInt32(dispatch.routes.pairCount)
            header.combineType = dispatch.combineType.wireCode
        }

        var crc = CRC32C()
        header.bytes.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[..<WireLayout.checksumOffset])) }
        crc.update(metadata)
        payload?.withUnsafeBytes { crc.update($0) }
        header.checksum = crc.value
        return EncodedFrame(header: header.bytes, metadata: metadata, payload: payload)
    }

    private func encodedMetadata() -> [UInt8] {
        switch body {
        case let .dispatch(dispatch):
            let routes = dispatch.routes
            var writer = ByteWriter(capacity: WireLayout.dispatchMetadataBytes(tokens: routes.count, pairs: routes.pairCount))
            for row in 0..<routes.count {
                let pairs = routes.pairs(ofRow: row)
                writer.u32(routes.tokens[row])
                writer.u32(UInt32(pairs.count))
                for pair in pairs {
                    writer.u32(routes.experts[pair])
                    writer.f32(routes.weights[pair])
                }
            }
            return writer.bytes
        case let .combine(combine):
            var writer = ByteWriter(capacity: WireLayout.combineMetadataBytes(tokens: combine.tokens.count))
            for token in combine.tokens { writer.u32(token) }
            return writer.bytes
        case let .hello(hello):
            var writer = ByteWriter(capacity: 64 + 4 * hello.experts.count)
            writer.u32(UInt32(hello.experts.count))
            writer.u64(hello.residentBytes)
            writer.u64(hello.session)
            writer.u64(hello.incarnation)
            for text in [hello.modelFingerprint, hello.placementFingerprint, hello.weightsFingerprint] {
                let utf8 = Array(text.utf8)
                precondition(utf8.count <= WireLimits.maxFingerprintBytes, "fingerprint \"\(text)\" is longer than \(WireLimits.maxFingerprintBytes) bytes")
                writer.u32(UInt32(utf8.count))
                writer.raw(utf8)
            }
            for expert in hello.experts { writer.u32(UInt32(expert)) }
            return writer.bytes
        case let .error(failure):
            let message = Self.cut(failure.message, toBytes: WireLimits.maxMessageBytes)
            var writer = ByteWriter(capacity: 8 + message.count)
            writer.u32(failure.code.rawValue)
            writer.u32(UInt32(message.count))
            writer.raw(message)
            return writer.bytes
        case .helloAck, .heartbeat, .shutdown:
            return []
        }
    }

    /// The UTF-8 of `text`, cut at a character boundary to at most `limit` bytes.
    private static func cut(_ text: String, toBytes limit: Int) -> [UInt8] {
        var utf8 = Array(text.utf8)
        guard utf8.count > limit else { return utf8 }
        utf8.removeLast(utf8.count - limit)
        // Find the last character's lead byte; drop it and its tail if the cut fell inside it.
        var lead = utf8.count - 1
        while lead > 0, utf8[lead] & 0xC0 == 0x80 { lead -= 1 }
        let first = utf8[lead]
        let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2
        if utf8.count - lead < length { utf8.removeLast(utf8.count - lead) }
        return utf8
    }
}
