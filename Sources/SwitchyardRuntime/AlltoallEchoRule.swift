import CKernels
import SwitchyardWire

/// What an all-to-all echo host returns for a dispatch, and the coordinator's check of it.
///
/// Row r of the combine is row r of the dispatch negated and rotated left by `host + 1` columns:
/// exact in f32 and bf16 alike (only the sign bit and the order change), different per row and
/// per host, so a lost, swapped, corrupted or misaddressed row comes back as wrong values.
public enum AlltoallEchoRule {
    /// The combine rows host `host` answers `dispatched` with.
    public static func answer(to dispatched: ActivationRows, host: Int) -> ActivationRows {
        let rows = dispatched.rows, width = dispatched.width
        switch dispatched.storage {
        case let .f32(values):
            return ActivationRows(rows: rows, width: width, storage: .f32(negatedAndRotated(values, rows: rows, width: width, host: host)))
        case let .bf16(bits):
            let out = [UInt16](unsafeUninitializedCapacity: bits.count) { out, count in
                bits.withUnsafeBufferPointer { rotatedWithSignFlipped($0, rows: rows, width: width, host: host, sign: 0x8000, into: out) }
                count = bits.count
            }
            return ActivationRows(rows: rows, width: width, storage: .bf16(out))
        case .fp8:
            // Rotating across scale blocks is not exact in fp8: the rule is applied to the
            // widened values and quantized again, which the coordinator's check repeats bit for bit.
            return ActivationRows(rows: rows, width: width, floats: negatedAndRotated(dispatched.floats, rows: rows, width: width, host: host), as: .fp8)
        }
    }

    /// Values of `returned` that differ from what `host` should have answered to the rows of
    /// `dispatched` (batch tokens `tokens`). A missing, extra or misplaced row counts all its
    /// values; a combine of the wrong payload type counts every value.
    public static func wrongValues(returned: Combine, host: Int, tokens: [UInt32], dispatched: ActivationRows) -> Int {
        let width = dispatched.width
        let rows = max(tokens.count, returned.tokens.count)
        guard returned.partialSums.width == width, returned.partialSums.type == dispatched.type else { return rows * width }
        let expected = answer(to: dispatched, host: host)
        let expectedFP8 = expected.type == .fp8 ? expected.floats : [], returnedFP8 = expected.type == .fp8 ? returned.partialSums.floats : []
        var wrong = 0
        for row in 0..<rows {
            guard row < tokens.count, row < returned.tokens.count, tokens[row] == returned.tokens[row] else {
                wrong += width
                continue
            }
            let span = (row * width)..<((row + 1) * width)
            switch (expected.storage, returned.partialSums.storage) {
            case let (.f32(want), .f32(got)): wrong += zip(want[span], got[span]).count { $0.bitPattern != $1.bitPattern }
            case let (.bf16(want), .bf16(got)): wrong += zip(want[span], got[span]).count { $0 != $1 }
            case (.fp8, .fp8): wrong += zip(expectedFP8[span], returnedFP8[span]).count { $0.bitPattern != $1.bitPattern }
            default: wrong += width
            }
        }
        return wrong
    }

    /// `out[r][c] = -in[r][(c + host + 1) % width]` for float32 rows, through their bit patterns.
    static func negatedAndRotated(_ values: [Float], rows: Int, width: Int, host: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { input in
                input.withMemoryRebound(to: UInt32.self) { bits in
                    out.withMemoryRebound(to: UInt32.self) { rotatedWithSignFlipped(bits, rows: rows, width: width, host: host, sign: 0x8000_0000, into: $0) }
                }
            }
            count = values.count
        }
    }

    /// The rule on bit patterns, negating by flipping `sign`: each row's tail, then its head, in
    /// two straight runs (C, vectorised: this is the echo host's whole work, inside the timed round trip).
    static func rotatedWithSignFlipped(_ values: UnsafeBufferPointer<UInt16>, rows: Int, width: Int, host: Int,
                                       sign: UInt16, into out: UnsafeMutableBufferPointer<UInt16>) {
        guard width > 0, rows > 0, let input = values.baseAddress, let output = out.baseAddress else { return }
        precondition(values.count == rows * width && out.count == values.count, "\(values.count) values are not \(rows) × \(width)")
        sy_rotate_flip_u16(input, output, rows, width, (host + 1) % width, sign)
    }

    static func rotatedWithSignFlipped(_ values: UnsafeBufferPointer<UInt32>, rows: Int, width: Int, host: Int,
                                       sign: UInt32, into out: UnsafeMutableBufferPointer<UInt32>) {
        guard width > 0, rows > 0, let input = values.baseAddress, let output = out.baseAddress else { return }
        precondition(values.count == rows * width && out.count == values.count, "\(values.count) values are not \(rows) × \(width)")
        sy_rotate_flip_u32(input, output, rows, width, (host + 1) % width, sign)
    }
}
