import Testing
@testable import SwitchyardWire
import SwitchyardCore

/// The fp8 payload: E4M3 codes with one float32 scale per 128 values of a row, checked against
/// FloatFormats' scalar E4M3 encoding (the one the FP8 weights use), and the combine type a
/// dispatch names.
@Suite struct FP8PayloadTests {
    /// The quantization the C kernel must reproduce bit for bit: scale = amax / 448 per block
    /// (1 for a block of zeros), code = e4m3(value / scale).
    func reference(_ values: [Float], rows: Int, width: Int) -> (scales: [Float], codes: [UInt8]) {
        let blocks = PayloadType.fp8Blocks(width: width)
        var scales: [Float] = [], codes = [UInt8](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for b in 0..<blocks {
                let columns = (b * 128)..<min(width, (b + 1) * 128)
                let amax = columns.map { abs(values[r * width + $0]) }.max() ?? 0
                var scale = amax / 448
                if !(scale > 0) || !scale.isFinite { scale = 1 }
                scales.append(scale)
                for c in columns { codes[r * width + c] = FloatFormats.e4m3(values[r * width + c] / scale) }
            }
        }
        return (scales, codes)
    }

    /// Rows with ordinary values, a block of zeros, tiny (subnormal-code) values beside large ones,
    /// and a width that leaves a short last block.
    func sample(rows: Int, width: Int) -> [Float] {
        var values = WireSamples.floats(rows * width, seed: 11).map { $0 * 3 }
        for c in 0..<min(width, 128) { values[c] = 0 }
        if rows > 1 {
            for c in 0..<width { values[width + c] = c % 7 == 0 ? 300 : Float(c) * 1e-4 }
        }
        return values
    }

    @Test(arguments: [64, 100, 256, 300])
    func quantizationMatchesTheScalarEncoding(width: Int) throws {
        let rows = 3
        let values = sample(rows: rows, width: width)
        let payload = ActivationRows(rows: rows, width: width, floats: values, as: .fp8)
        guard case let .fp8(bytes) = payload.storage else { Issue.record("not fp8"); return }
        let (scales, codes) = reference(values, rows: rows, width: width)
        #expect(bytes.count == 4 * scales.count + codes.count && bytes.count == payload.byteCount)
        let sent = bytes.withUnsafeBytes { raw in (0..<scales.count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
        #expect(sent == scales)
        #expect(Array(bytes[(4 * scales.count)...]) == codes)
        // Widened: code value × scale, within half a code step (1/16 of the block's largest magnitude).
        let back = payload.floats
        for r in 0..<rows {
            for c in 0..<width {
                let scale = scales[r * PayloadType.fp8Blocks(width: width) + c / 128]
                #expect(back[r * width + c] == FloatFormats.float(e4m3: codes[r * width + c]) * scale)
                #expect(abs(back[r * width + c] - values[r * width + c]) <= 448 * scale / 16)
            }
        }
    }

    @Test func gatheredRowsEqualRowsQuantizedOneByOne() {
        let width = WireSamples.hidden
        let batch = WireSamples.floats(10 * width, seed: 5)
        let gathered = ActivationRows(gathering: [7, 2, 9], from: batch, width: width, as: .fp8)
        let direct = ActivationRows(rows: 3, width: width, floats: Array(batch[(7 * width)..<(8 * width)] + batch[(2 * width)..<(3 * width)]
                                                                            + batch[(9 * width)..<(10 * width)]), as: .fp8)
        #expect(gathered == direct)
    }

    @Test func aDispatchCarriesItsCombineTypeAcrossTheWire() throws {
        guard case let .dispatch(plain) = WireSamples.dispatch(.fp8).body else { Issue.record("not a dispatch"); return }
        #expect(plain.combineType == .fp8)
        let split = WireFrame(address: FrameAddress(step: 3, layer: 1), host: 3,
                              body: .dispatch(Dispatch(routes: plain.routes, activations: plain.activations, combineType: .bf16)))
        let encoded = split.encoded()
        #expect(encoded.header[7] == PayloadType.fp8.wireCode && encoded.header[44] == PayloadType.bf16.wireCode)
        let decoded = try WireSamples.decoder.decode(encoded.contiguous())
        #expect(decoded == split)
        let parts = try WireSamples.decoder.decode(parts: [encoded.header, encoded.metadata, encoded.payload!.withUnsafeBytes { Array($0) }])
        #expect(parts == split)
    }

    @Test func onlyADispatchNamesACombineType() {
        var combine = WireSamples.combine(.fp8).encoded().contiguous()
        #expect(throws: WireError.outOfRange(field: "header.combine_type", value: 2, allowed: "0 in a combine frame")) {
            combine[44] = 2
            _ = try WireSamples.decoder.decode(combine)
        }
        var heartbeat = WireFrame(host: 1, body: .heartbeat).encoded().contiguous()
        heartbeat[44] = 1
        #expect(throws: WireError.outOfRange(field: "header.combine_type", value: 1, allowed: "0 in a heartbeat frame")) {
            _ = try WireSamples.decoder.decode(heartbeat)
        }
    }
}

/// The combine's scatter-add from rows as they travel: the same sums, bit for bit, as adding the
/// rows widened to float32 one value at a time, for every payload type.
@Suite struct ActivationRowsAddTests {
    @Test(arguments: [PayloadType.f32, .bf16, .fp8])
    func addingRowsEqualsAddingTheirFloats(type: PayloadType) {
        let width = 300, targets: [UInt32] = [4, 0, 2]
        let values = (0..<(targets.count * width)).map { Float(($0 &* 37) % 211 - 105) / 7 }
        let rows = ActivationRows(rows: targets.count, width: width, floats: values, as: type)
        let start = (0..<(5 * width)).map { Float($0 % 13) / 3 }
        var expected = start
        let floats = rows.floats
        for (r, target) in targets.enumerated() {
            for c in 0..<width { expected[Int(target) * width + c] += floats[r * width + c] }
        }
        var output = start
        output.withUnsafeMutableBufferPointer { rows.add(into: $0, rows: targets) }
        #expect(output.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
