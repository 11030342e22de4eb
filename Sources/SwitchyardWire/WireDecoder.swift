import SwitchyardCore

/// Turns received bytes back into frames, validating every field against the model's limits
/// before it allocates anything; anything else is a `WireError` naming the field.
public struct WireDecoder: Sendable {
    public let limits: WireLimits

    public init(limits: WireLimits) {
        self.limits = limits
    }

    /// A frame received as one buffer (MPI).
    public func decode(_ bytes: [UInt8]) throws(WireError) -> WireFrame {
        try bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try decode(contiguous: raw) } }.get()
    }

    public func decode(contiguous raw: UnsafeRawBufferPointer) throws(WireError) -> WireFrame {
        let header = try validatedHeader(raw)
        let expected = WireLayout.headerBytes + Int(header.metadataLength) + Int(header.payloadLength)
        guard raw.count >= expected else { throw .truncated(part: "frame", needed: expected, available: raw.count) }
        guard raw.count == expected else { throw .lengthMismatch(field: "frame", declared: UInt64(raw.count), expected: UInt64(expected)) }
        let metadataEnd = WireLayout.headerBytes + Int(header.metadataLength)
        return try decode(header, raw,
                          metadata: UnsafeRawBufferPointer(rebasing: raw[WireLayout.headerBytes..<metadataEnd]),
                          payload: UnsafeRawBufferPointer(rebasing: raw[metadataEnd..<expected]))
    }

    /// A frame received as a three-part message (ZeroMQ): header, metadata, payload.
    public func decode(parts: [[UInt8]]) throws(WireError) -> WireFrame {
        guard parts.count == 3 else { throw .outOfRange(field: "message parts", value: UInt64(parts.count), allowed: "3 (header, metadata, payload)") }
        // withUnsafeBytes rethrows untyped errors, so the typed one travels out in a Result.
        return try parts[0].withUnsafeBytes { header in
            parts[1].withUnsafeBytes { metadata in
                parts[2].withUnsafeBytes { payload in
                    Result { () throws(WireError) in try decode(header: header, metadata: metadata, payload: payload) }
                }
            }
        }.get()
    }

    public func decode(header raw: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws(WireError) -> WireFrame {
        let header = try validatedHeader(raw)
        guard raw.count == WireLayout.headerBytes else {
            throw .lengthMismatch(field: "header part", declared: UInt64(raw.count), expected: UInt64(WireLayout.headerBytes))
        }
        guard metadata.count == Int(header.metadataLength) else {
            throw .lengthMismatch(field: "metadata part", declared: UInt64(metadata.count), expected: UInt64(header.metadataLength))
        }
        guard payload.count == Int(header.payloadLength) else {
            throw .lengthMismatch(field: "payload part", declared: UInt64(payload.count), expected: header.payloadLength)
        }
        return try decode(header, raw, metadata: metadata, payload: payload)
    }

    /// The whole frame's length, from its first 64 bytes: for a receiver that reads a stream.
    public func frameLength(header raw: UnsafeRawBufferPointer) throws(WireError) -> Int {
        let lengths = try partLengths(header: raw)
        return WireLayout.headerBytes + lengths.metadata + lengths.payload
    }

    /// The metadata and payload lengths a header declares, checked against the limits.
    public func partLengths(header raw: UnsafeRawBufferPointer) throws(WireError) -> (metadata: Int, payload: Int) {
        let header = try validatedHeader(raw)
        return (Int(header.metadataLength), Int(header.payloadLength))
    }

    // MARK: Header

    /// Reads the header and checks each field against the kind and the limits. After this the
    /// declared lengths are small enough to trust, though the bytes may still not match them.
    private func validatedHeader(_ raw: UnsafeRawBufferPointer) throws(WireError) -> FrameHeader {
        let header = try FrameHeader(reading: raw)
        guard header.version == WireLayout.version else { throw .unsupportedVersion(found: header.version, supported: WireLayout.version) }
        guard let kind = FrameKind(rawValue: header.kind) else { throw .unknownKind(found: header.kind) }
        guard Int(header.host) < limits.maxHosts else {
            throw .outOfRange(field: "header.host", value: UInt64(header.host), allowed: "0...\(limits.maxHosts - 1)")
        }
        if kind.carriesActivations {
            try validateLayerFields(header, kind: kind)
        } else {
            try validateEmptyFields(header, kind: kind)
        }
        return header
    }

    private func validateLayerFields(_ header: FrameHeader, kind: FrameKind) throws(WireError) {
        guard let type = PayloadType(wireCode: header.payloadType) else {
            throw .outOfRange(field: "header.payload_type", value: UInt64(header.payloadType), allowed: "1 (f32), 2 (bf16) or 3 (fp8)")
        }
        if kind == .dispatch {
            guard PayloadType(wireCode: header.combineType) != nil else {
                throw .outOfRange(field: "header.combine_type", value: UInt64(header.combineType), allowed: "1 (f32), 2 (bf16) or 3 (fp8) in a dispatch frame")
            }
        } else if header.combineType != 0 {
            throw .outOfRange(field: "header.combine_type", value: UInt64(header.combineType), allowed: "0 in a \(kind) frame")
        }
        guard (limits.firstMoELayer..<limits.layers).contains(Int(header.layer)) else {
            throw .outOfRange(field: "header.layer", value: UInt64(header.layer), allowed: "\(limits.firstMoELayer)...\(limits.layers - 1) (MoE layers)")
        }
        let tokens = Int(header.tokens)
        guard tokens <= limits.maxTokens else {
            throw .outOfRange(field: "header.tokens", value: UInt64(header.tokens), allowed: "0...\(limits.maxTokens)")
        }
        guard Int(header.width) == limits.hidden else {
            throw .outOfRange(field: "header.width", value: UInt64(header.width), allowed: "\(limits.hidden) (hidden_size)")
        }
        let pairs = Int(header.pairs)
        let metadata: Int
        if kind == .dispatch {
            let most = tokens * limits.expertsPerToken
            guard (tokens...most).contains(pairs) else {
                throw .outOfRange(field: "header.pairs", value: UInt64(header.pairs), allowed: "\(tokens)...\(most) (1 to \(limits.expertsPerToken) per token)")
            }
            metadata = WireLayout.dispatchMetadataBytes(tokens: tokens, pairs: pairs)
        } else {
            guard pairs == 0 else { throw .outOfRange(field: "header.pairs", value: UInt64(header.pairs), allowed: "0 in a combine frame") }
            metadata = WireLayout.combineMetadataBytes(tokens: tokens)
        }
        guard Int(header.metadataLength) == metadata else {
            throw .lengthMismatch(field: "header.metadata_length", declared: UInt64(header.metadataLength), expected: UInt64(metadata))
        }
        let payload = WireLayout.payloadBytes(rows: tokens, width: limits.hidden, type: type)
        guard header.payloadLength == UInt64(payload) else {
            throw .lengthMismatch(field: "header.payload_length", declared: header.payloadLength, expected: UInt64(payload))
        }
    }

    private func validateEmptyFields(_ header: FrameHeader, kind: FrameKind) throws(WireError) {
        let zeros: [(String, UInt64)] = [
            ("header.payload_type", UInt64(header.payloadType)), ("header.layer", UInt64(header.layer)),
            ("header.micro_batch", UInt64(header.microBatch)), ("header.tokens", UInt64(header.tokens)),
            ("header.pairs", UInt64(header.pairs)), ("header.width", UInt64(header.width)),
            ("header.payload_length", header.payloadLength), ("header.combine_type", UInt64(header.combineType)),
        ]
        for (field, value) in zeros where value != 0 {
            throw .outOfRange(field: field, value: value, allowed: "0 in a \(kind) frame")
        }
        let most: Int = switch kind {
        case .hello: limits.largestHelloMetadataBytes
        case .error: 8 + WireLimits.maxMessageBytes
        default: 0
        }
        guard Int(header.metadataLength) <= most else {
            throw .outOfRange(field: "header.metadata_length", value: UInt64(header.metadataLength), allowed: "0...\(most) in a \(kind) frame")
        }
    }

    // MARK: Body

    private func decode(_ header: FrameHeader, _ rawHeader: UnsafeRawBufferPointer,
                        metadata: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws(WireError) -> WireFrame {
        var crc = CRC32C()
        crc.update(UnsafeRawBufferPointer(rebasing: rawHeader[..<WireLayout.checksumOffset]))
        crc.update(metadata)
        let kind = FrameKind(rawValue: header.kind)!
        // The payload is checked and copied out in one pass; nothing is read from it before the checksum matches.
        let rows = kind.carriesActivations ? activations(payload, header, checksum: &crc) : nil
        if rows == nil { crc.update(payload) }
        guard crc.value == header.checksum else { throw .checksumMismatch(declared: header.checksum, computed: crc.value) }

        let address = FrameAddress(step: header.step, layer: Int(header.layer), microBatch: Int(header.microBatch))
        let body: WireBody
        switch kind {
        case .dispatch:
            let routes = try decodeRoutes(metadata, tokens: Int(header.tokens), pairs: Int(header.pairs))
            body = .dispatch(Dispatch(routes: routes, activations: rows!, combineType: PayloadType(wireCode: header.combineType)!))
        case .combine:
            let tokens = try decodeTokens(metadata, count: Int(header.tokens))
            body = .combine(Combine(tokens: tokens, partialSums: rows!))
        case .hello: body = .hello(try decodeHello(metadata))
        case .error: body = .error(try decodeFailure(metadata))
        case .helloAck: body = .helloAck
        case .heartbeat: body = .heartbeat
        case .shutdown: body = .shutdown
        }
        return WireFrame(address: address, host: Int(header.host), body: body)
    }

    private func decodeRoutes(_ metadata: UnsafeRawBufferPointer, tokens: Int, pairs: Int) throws(WireError) -> TokenRoutes {
        var reader = ByteReader(metadata, part: "dispatch metadata")
        var routes = TokenRoutes()
        routes.reserve(rows: tokens, pairs: pairs)
        var previous: Int64 = -1
        for row in 0..<tokens {
            let token = try reader.u32()
            guard Int(token) < limits.maxTokens else {
                throw .outOfRange(field: "dispatch.tokens[\(row)]", value: UInt64(token), allowed: "0...\(limits.maxTokens - 1)")
            }
            guard Int64(token) > previous else {
                throw .malformed(field: "dispatch.tokens[\(row)]", problem: "token \(token) does not follow \(previous): tokens must be strictly ascending")
            }
            previous = Int64(token)
            let count = try reader.u32()
            let left = pairs - routes.pairCount - (tokens - row - 1)
            guard count >= 1, Int(count) <= min(limits.expertsPerToken, left) else {
                throw .outOfRange(field: "dispatch.pair_count[\(row)]", value: UInt64(count), allowed: "1...\(max(1, min(limits.expertsPerToken, left)))")
            }
            routes.beginRow(token: token)
            let first = routes.pairCount
            for k in 0..<Int(count) {
                let expert = try reader.u32()
                guard Int(expert) < limits.experts else {
                    throw .outOfRange(field: "dispatch.experts[\(row)][\(k)]", value: UInt64(expert), allowed: "0...\(limits.experts - 1)")
                }
                if routes.experts[first...].contains(expert) {
                    throw .malformed(field: "dispatch.experts[\(row)][\(k)]", problem: "expert \(expert) appears twice for token \(token)")
                }
                let weight = try reader.f32()
                guard weight.isFinite else { throw .malformed(field: "dispatch.weights[\(row)][\(k)]", problem: "gate weight \(weight) is not finite") }
                routes.appendPair(expert: expert, weight: weight)
            }
        }
        guard routes.pairCount == pairs, reader.remaining == 0 else {
            throw .lengthMismatch(field: "header.pairs", declared: UInt64(pairs), expected: UInt64(routes.pairCount))
        }
        return routes
    }

    private func decodeTokens(_ metadata: UnsafeRawBufferPointer, count: Int) throws(WireError) -> [UInt32] {
        var reader = ByteReader(metadata, part: "combine metadata")
        var tokens = [UInt32]()
        tokens.reserveCapacity(count)
        for row in 0..<count {
            let token = try reader.u32()
            guard Int(token) < limits.maxTokens else {
                throw .outOfRange(field: "combine.tokens[\(row)]", value: UInt64(token), allowed: "0...\(limits.maxTokens - 1)")
            }
            if let last = tokens.last, token <= last {
                throw .malformed(field: "combine.tokens[\(row)]", problem: "token \(token) does not follow \(last): tokens must be strictly ascending")
            }
            tokens.append(token)
        }
        return tokens
    }

    private func decodeHello(_ metadata: UnsafeRawBufferPointer) throws(WireError) -> Hello {
        var reader = ByteReader(metadata, part: "hello metadata")
        let count = try reader.u32()
        guard Int(count) <= limits.experts else {
            throw .outOfRange(field: "hello.expert_count", value: UInt64(count), allowed: "0...\(limits.experts)")
        }
        let resident = try reader.u64()
        let session = try reader.u64()
        let incarnation = try reader.u64()
        var strings: [String] = []
        for field in ["hello.model_fingerprint", "hello.placement_fingerprint", "hello.weights_fingerprint"] {
            let length = try reader.u32()
            guard Int(length) <= WireLimits.maxFingerprintBytes else {
                throw .outOfRange(field: field + " length", value: UInt64(length), allowed: "0...\(WireLimits.maxFingerprintBytes)")
            }
            strings.append(try utf8(reader.bytes(Int(length)), field: field))
        }
        guard reader.remaining == 4 * Int(count) else {
            throw .lengthMismatch(field: "hello.experts", declared: UInt64(reader.remaining), expected: 4 * UInt64(count))
        }
        var experts: [Int] = []
        experts.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            let expert = Int(try reader.u32())
            guard expert < limits.experts else {
                throw .outOfRange(field: "hello.experts[\(index)]", value: UInt64(expert), allowed: "0...\(limits.experts - 1)")
            }
            if let last = experts.last, expert <= last {
                throw .malformed(field: "hello.experts[\(index)]", problem: "expert \(expert) does not follow \(last): experts must be strictly ascending")
            }
            experts.append(expert)
        }
        return Hello(modelFingerprint: strings[0], placementFingerprint: strings[1], weightsFingerprint: strings[2],
                     experts: experts, residentBytes: resident, session: session, incarnation: incarnation)
    }

    private func decodeFailure(_ metadata: UnsafeRawBufferPointer) throws(WireError) -> Failure {
        var reader = ByteReader(metadata, part: "error metadata")
        let raw = try reader.u32()
        guard let code = Failure.Code(rawValue: raw) else {
            throw .outOfRange(field: "error.code", value: UInt64(raw), allowed: "1...5")
        }
        let length = try reader.u32()
        guard Int(length) == reader.remaining else {
            throw .lengthMismatch(field: "error.message_length", declared: UInt64(length), expected: UInt64(reader.remaining))
        }
        return Failure(code: code, message: try utf8(reader.bytes(Int(length)), field: "error.message"))
    }

    private func utf8(_ bytes: UnsafeRawBufferPointer, field: String) throws(WireError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed(field: field, problem: "is not valid UTF-8") }
        return text
    }

    /// The payload, copied once out of the receive buffer; its length was checked against the header.
    /// The payload's activations, copied out of `payload` as `checksum` takes it in.
    private func activations(_ payload: UnsafeRawBufferPointer, _ header: FrameHeader, checksum crc: inout CRC32C) -> ActivationRows {
        let rows = Int(header.tokens), width = Int(header.width)
        switch PayloadType(wireCode: header.payloadType)! {
        case .f32:
            let values = [Float](unsafeUninitializedCapacity: rows * width) { buffer, count in
                crc.update(payload, copyingInto: UnsafeMutableRawBufferPointer(buffer))
                count = rows * width
            }
            return ActivationRows(rows: rows, width: width, storage: .f32(values))
        case .bf16:
            let values = [UInt16](unsafeUninitializedCapacity: rows * width) { buffer, count in
                crc.update(payload, copyingInto: UnsafeMutableRawBufferPointer(buffer))
                count = rows * width
            }
            return ActivationRows(rows: rows, width: width, storage: .bf16(values))
        case .fp8:
            let bytes = [UInt8](unsafeUninitializedCapacity: payload.count) { buffer, count in
                crc.update(payload, copyingInto: UnsafeMutableRawBufferPointer(buffer))
                count = payload.count
            }
            return ActivationRows(rows: rows, width: width, storage: .fp8(bytes))
        }
    }
}
