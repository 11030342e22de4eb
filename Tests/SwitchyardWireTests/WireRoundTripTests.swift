import Testing
@testable import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

@Suite struct WireRoundTripTests {
    let decoder = WireSamples.decoder

    @Test(arguments: WireSamples.all)
    func everyKindRoundTripsContiguousAndInParts(frame: WireFrame) throws {
        let encoded = frame.encoded()
        #expect(try decoder.decode(encoded.contiguous()) == frame)
        let payload = encoded.payload.map { $0.withUnsafeBytes { Array($0) } } ?? []
        #expect(try decoder.decode(parts: [encoded.header, encoded.metadata, payload]) == frame)
        #expect(encoded.header.count == WireLayout.headerBytes)
        #expect(encoded.contiguous().count == encoded.byteCount)
    }

    @Test(arguments: PayloadType.allCases)
    func frameSizesFollowTheLayout(type: PayloadType) throws {
        let hidden = WireSamples.hidden
        guard case let .dispatch(dispatch) = WireSamples.dispatch(type).body else { Issue.record("not a dispatch"); return }
        let tokens = dispatch.routes.count, pairs = dispatch.routes.pairCount
        #expect(WireSamples.dispatch(type).encoded().byteCount == WireLayout.dispatchFrameBytes(tokens: tokens, pairs: pairs, hidden: hidden, type: type))
        #expect(WireSamples.dispatch(type).encoded().payloadByteCount == type.payloadBytes(rows: tokens, width: hidden))
        #expect(type != .fp8 || type.payloadBytes(rows: tokens, width: hidden) == tokens * (hidden + 4 * ((hidden + 127) / 128)))
        #expect(WireSamples.combine(type).encoded().byteCount == WireLayout.combineFrameBytes(tokens: 4, hidden: hidden, type: type))
    }

    @Test func bf16PayloadCarriesRoundedValues() throws {
        let values: [Float] = [1, -2.5, 3.14159, 1e-3, 65504, 1.00390625, 1.01171875] + Array(repeating: 0.5, count: WireSamples.hidden - 7)
        let rows = ActivationRows(rows: 1, width: WireSamples.hidden, floats: values, as: .bf16)
        let frame = WireFrame(address: FrameAddress(layer: 1), host: 0, body: .combine(Combine(tokens: [0], partialSums: rows)))
        let decoded = try decoder.decode(frame.encoded().contiguous())
        let floats = try #require(decoded.body.activations).floats
        #expect(floats == values.map { BFloat16.float(BFloat16.bits($0)) })
        // Ties go to even: 1 + 2^-8 rounds down to 1, 1 + 3·2^-8 rounds up to 1 + 2^-6.
        #expect(floats[5] == 1 && floats[6] == 1.015625)
        #expect(frame.encoded().payloadByteCount == WireSamples.hidden * 2)
    }

    @Test func checksumCoversPartsWithoutJoiningThem() {
        let encoded = WireSamples.dispatch(.f32).encoded()
        let contiguous = encoded.contiguous()
        var crc = CRC32C()
        crc.update(Array(contiguous[0..<60]))
        crc.update(Array(contiguous[64...]))
        let stored = contiguous[60..<64].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        #expect(crc.value == UInt32(littleEndian: stored))
    }

    @Test func longErrorMessagesAreCutAtACharacterBoundary() throws {
        let message = String(repeating: "é", count: WireLimits.maxMessageBytes)
        let frame = WireFrame(host: 0, body: .error(Failure(code: .internalError, message: message)))
        guard case let .error(failure) = try decoder.decode(frame.encoded().contiguous()).body else { Issue.record("not an error"); return }
        #expect(failure.message.utf8.count == WireLimits.maxMessageBytes)
        #expect(failure.message == String(repeating: "é", count: WireLimits.maxMessageBytes / 2))
        let odd = String(repeating: "a", count: WireLimits.maxMessageBytes - 1) + "é"
        guard case let .error(cut) = try decoder.decode(WireFrame(host: 0, body: .error(Failure(code: .internalError, message: odd))).encoded().contiguous()).body
        else { Issue.record("not an error"); return }
        #expect(cut.message == String(repeating: "a", count: WireLimits.maxMessageBytes - 1))
    }

    @Test func frameLengthIsReadFromTheHeaderAlone() throws {
        let bytes = WireSamples.dispatch(.bf16).encoded().contiguous()
        let length = try Array(bytes[0..<64]).withUnsafeBytes { raw in Result { () throws(WireError) in try decoder.frameLength(header: raw) } }.get()
        #expect(length == bytes.count)
    }

    @Test func modelFingerprintDistinguishesConfigs() {
        var other = ModelPreset.tiny.config
        other.nGroup = 4
        #expect(ModelPreset.tiny.config.fingerprint == ModelPreset.tiny.config.fingerprint)
        #expect(ModelPreset.tiny.config.fingerprint != other.fingerprint)
        #expect(ModelPreset.tiny.config.fingerprint.hasPrefix("mistral4-"))
    }
}

/// The ZeroMQ message-size limit derived from the wire limits admits every legal frame's parts.
@Suite struct WireMessageSizeTests {
    @Test func theLargestLegalDispatchFitsAndTheLimitIsNoLooser() throws {
        let limits = WireLimits(config: WireSamples.config, maxTokens: 256, maxHosts: 8)
        var routes = TokenRoutes()
        for token in 0..<256 {
            routes.beginRow(token: UInt32(token))
            for k in 0..<limits.expertsPerToken { routes.appendPair(expert: UInt32(k), weight: 0.25) }
        }
        let rows = ActivationRows(rows: 256, width: limits.hidden, floats: [Float](repeating: 1, count: 256 * limits.hidden), as: .f32)
        let frame = WireFrame(address: FrameAddress(step: 1, layer: limits.firstMoELayer), host: 0,
                              body: .dispatch(Dispatch(routes: routes, activations: rows))).encoded()
        let parts = [frame.header.count, frame.metadata.count, frame.payload?.byteCount ?? 0]
        #expect(parts.allSatisfy { $0 <= limits.largestPartBytes })
        // The payload of the largest batch is the largest part: the limit is exactly it.
        #expect(limits.largestPartBytes == 256 * limits.hidden * 4)
        _ = try WireDecoder(limits: limits).decode(frame.contiguous())
    }
}
