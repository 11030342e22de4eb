import Testing
@testable import SwitchyardWire
import SwitchyardCore

/// Each way a frame can be wrong yields its own `WireError`, found from the header before
/// any buffer for the body is made.
@Suite struct WireCorruptionTests {
    let decoder = WireSamples.decoder

    func error(_ bytes: [UInt8]) -> WireError? {
        do { _ = try decoder.decode(bytes); return nil } catch { return error }
    }

    func dispatchBytes(_ type: PayloadType = .f32) -> [UInt8] { WireSamples.dispatch(type).encoded().contiguous() }

    @Test func badMagic() {
        var bytes = dispatchBytes()
        bytes[0] = UInt8(ascii: "X")
        #expect(error(bytes) == .badMagic(found: 0x4459_5758))
        #expect(error(bytes)?.description.contains("SWYD") == true)
    }

    @Test func unsupportedVersion() {
        var bytes = dispatchBytes()
        bytes[4] = 2
        #expect(error(bytes) == .unsupportedVersion(found: 2, supported: 3))
        bytes[4] = 4
        #expect(error(bytes) == .unsupportedVersion(found: 4, supported: 3))
    }

    @Test func unknownKind() {
        var bytes = dispatchBytes()
        bytes[6] = 42
        #expect(error(bytes) == .unknownKind(found: 42))
    }

    @Test func truncatedHeaderAndBody() {
        let bytes = dispatchBytes()
        #expect(error(Array(bytes[0..<10])) == .truncated(part: "header", needed: 64, available: 10))
        #expect(error([]) == .truncated(part: "header", needed: 64, available: 0))
        #expect(error(Array(bytes.dropLast(3))) == .truncated(part: "frame", needed: bytes.count, available: bytes.count - 3))
    }

    @Test func trailingBytesAndPartLengthsDisagree() throws {
        let bytes = dispatchBytes() + [0]
        #expect(error(bytes) == .lengthMismatch(field: "frame", declared: UInt64(bytes.count), expected: UInt64(bytes.count - 1)))
        let encoded = WireSamples.dispatch(.f32).encoded()
        let payload = encoded.payload!.withUnsafeBytes { Array($0) }
        #expect(throws: WireError.lengthMismatch(field: "payload part", declared: UInt64(payload.count - 4), expected: UInt64(payload.count))) {
            _ = try decoder.decode(parts: [encoded.header, encoded.metadata, Array(payload.dropLast(4))])
        }
        #expect(throws: WireError.lengthMismatch(field: "metadata part", declared: UInt64(encoded.metadata.count + 1), expected: UInt64(encoded.metadata.count))) {
            _ = try decoder.decode(parts: [encoded.header, encoded.metadata + [0], payload])
        }
        #expect(throws: WireError.outOfRange(field: "message parts", value: 2, allowed: "3 (header, metadata, payload)")) {
            _ = try decoder.decode(parts: [encoded.header, encoded.metadata])
        }
    }

    @Test func declaredLengthsMustMatchTheCounts() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 40, 12)
        guard case let .lengthMismatch(field, declared, _) = error(bytes) else { Issue.record("\(String(describing: error(bytes)))"); return }
        #expect(field == "header.metadata_length" && declared == 12)
    }

    @Test func checksumMismatchInEachPart() {
        let clean = dispatchBytes()
        for offset in [8, 70, clean.count - 1] {  // header (step), metadata, payload
            var bytes = clean
            bytes[offset] ^= 0x10
            guard case .checksumMismatch = error(bytes) else { Issue.record("offset \(offset): \(String(describing: error(bytes)))"); continue }
        }
    }

    @Test func layerOutOfRange() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 16, 2)
        #expect(error(bytes) == .outOfRange(field: "header.layer", value: 2, allowed: "0...1 (MoE layers)"))
        #expect(error(bytes)?.description == "header.layer is 2, allowed 0...1 (MoE layers)")
    }

    @Test func expertIdOutOfRange() {
        var bytes = dispatchBytes()
        // Row 0: token (64), pair count (68), expert (72), weight (76).
        WireSamples.set32(&bytes, at: 72, 128)
        WireSamples.reseal(&bytes)
        #expect(error(bytes) == .outOfRange(field: "dispatch.experts[0][0]", value: 128, allowed: "0...127"))
    }

    @Test func repeatedExpertOrDisorderedTokens() {
        var bytes = dispatchBytes()
        // Row 1 (token 2) has two pairs starting at offset 64 + 16 + 8 = 88.
        let first = Array(bytes[88..<92])
        bytes.replaceSubrange(96..<100, with: first)
        WireSamples.reseal(&bytes)
        guard case let .malformed(field, problem) = error(bytes) else { Issue.record("\(String(describing: error(bytes)))"); return }
        #expect(field == "dispatch.experts[1][1]" && problem.contains("twice"))

        var disordered = dispatchBytes()
        WireSamples.set32(&disordered, at: 80, 0)  // row 1's token becomes 0, equal to row 0's
        WireSamples.reseal(&disordered)
        guard case let .malformed(tokenField, _) = error(disordered) else { Issue.record("\(String(describing: error(disordered)))"); return }
        #expect(tokenField == "dispatch.tokens[1]")
    }

    @Test func tokenCountAboveLimit() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 28, 1025)
        #expect(error(bytes) == .outOfRange(field: "header.tokens", value: 1025, allowed: "0...1024"))
    }

    @Test func tokenIndexAboveLimit() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 64 + 8 + 8 + 8 + 16 + 8 + 24 + 8 + 32, 5000)  // token of row 4
        WireSamples.reseal(&bytes)
        #expect(error(bytes) == .outOfRange(field: "dispatch.tokens[4]", value: 5000, allowed: "0...1023"))
    }

    @Test func pairCountsBeyondTopKOrTheHeader() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 32, 6 * 4 + 1)
        #expect(error(bytes) == .outOfRange(field: "header.pairs", value: 25, allowed: "6...24 (1 to 4 per token)"))
        var row = dispatchBytes()
        WireSamples.set32(&row, at: 68, 5)
        WireSamples.reseal(&row)
        guard case let .outOfRange(field, value, _) = error(row) else { Issue.record("\(String(describing: error(row)))"); return }
        #expect(field == "dispatch.pair_count[0]" && value == 5)
    }

    @Test func widthMustBeTheHiddenSize() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 36, 65)
        #expect(error(bytes) == .outOfRange(field: "header.width", value: 65, allowed: "64 (hidden_size)"))
    }

    /// 2^40 bytes of payload declared in a 64-byte message: refused from the header, nothing allocated.
    @Test func absurdPayloadLengthIsRefusedBeforeAllocation() {
        var bytes = Array(dispatchBytes()[0..<64])
        WireSamples.set64(&bytes, at: 48, 1 << 40)
        guard case let .lengthMismatch(field, declared, _) = error(bytes) else { Issue.record("\(String(describing: error(bytes)))"); return }
        #expect(field == "header.payload_length" && declared == 1 << 40)

        // Counts at their 32-bit maximum, whose product would be absurd, stop at the token limit.
        WireSamples.set32(&bytes, at: 28, .max)
        WireSamples.set32(&bytes, at: 32, .max)
        WireSamples.set64(&bytes, at: 48, .max)
        #expect(error(bytes) == .outOfRange(field: "header.tokens", value: UInt64(UInt32.max), allowed: "0...1024"))

        // A frame without activations that declares a payload, and a hello with a huge body.
        var heartbeat = WireFrame(host: 0, body: .heartbeat).encoded().contiguous()
        WireSamples.set64(&heartbeat, at: 48, 1 << 40)
        #expect(error(heartbeat) == .outOfRange(field: "header.payload_length", value: 1 << 40, allowed: "0 in a heartbeat frame"))
        var hello = Array(WireSamples.hello.encoded().contiguous()[0..<64])
        WireSamples.set32(&hello, at: 40, .max)
        guard case .outOfRange(field: "header.metadata_length", _, _) = error(hello) else { Issue.record("\(String(describing: error(hello)))"); return }
    }

    @Test func helloAndErrorBodiesAreChecked() {
        var hello = WireSamples.hello.encoded().contiguous()
        WireSamples.set32(&hello, at: 64, 129)  // expert count
        WireSamples.reseal(&hello)
        #expect(error(hello) == .outOfRange(field: "hello.expert_count", value: 129, allowed: "0...128"))

        var badUTF8 = WireSamples.failure.encoded().contiguous()
        badUTF8[72] = 0xFF
        WireSamples.reseal(&badUTF8)
        #expect(error(badUTF8) == .malformed(field: "error.message", problem: "is not valid UTF-8"))

        var code = WireSamples.failure.encoded().contiguous()
        WireSamples.set32(&code, at: 64, 77)
        WireSamples.reseal(&code)
        #expect(error(code) == .outOfRange(field: "error.code", value: 77, allowed: "1...5"))
    }

    @Test func hostAndReservedFields() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 24, 64)
        #expect(error(bytes) == .outOfRange(field: "header.host", value: 64, allowed: "0...63"))
        var reserved = dispatchBytes()
        reserved[45] = 1
        #expect(error(reserved) == .outOfRange(field: "header.reserved (offset 45)", value: 1, allowed: "0"))
        // Offset 44 is a dispatch's combine type: a known payload type there, 0 in every other frame.
        var combineType = dispatchBytes()
        combineType[44] = 9
        #expect(error(combineType) == .outOfRange(field: "header.combine_type", value: 9, allowed: "1 (f32), 2 (bf16) or 3 (fp8) in a dispatch frame"))
    }

    @Test func nonFiniteGateWeight() {
        var bytes = dispatchBytes()
        WireSamples.set32(&bytes, at: 76, Float.nan.bitPattern)
        WireSamples.reseal(&bytes)
        guard case let .malformed(field, _) = error(bytes) else { Issue.record("\(String(describing: error(bytes)))"); return }
        #expect(field == "dispatch.weights[0][0]")
    }
}
