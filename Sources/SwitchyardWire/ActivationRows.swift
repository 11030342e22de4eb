import CKernels
import SwitchyardCore

/// `rows × width` activations, row-major, held in the type they travel in.
///
/// The storage is the payload part of a frame as it is: a sender hands its bytes to the
/// transport without copying, a receiver gets them in one copy out of the receive buffer.
public struct ActivationRows: Equatable, Sendable {
    public enum Storage: Equatable, Sendable {
        case f32([Float])
        /// bfloat16 bit patterns.
        case bf16([UInt16])
        /// The fp8 payload as it travels: `rows × blocks` float32 scales (one per 128 values of a
        /// row), then `rows × width` E4M3 codes.
        case fp8([UInt8])
    }

    public let rows: Int
    public let width: Int
    public let storage: Storage

    public init(rows: Int, width: Int, storage: Storage) {
        precondition(rows >= 0 && width >= 0, "negative activation shape \(rows)×\(width)")
        switch storage {
        case let .f32(values): precondition(values.count == rows * width, "\(values.count) f32 values are not \(rows)×\(width)")
        case let .bf16(values): precondition(values.count == rows * width, "\(values.count) bf16 values are not \(rows)×\(width)")
        case let .fp8(bytes):
            precondition(bytes.count == PayloadType.fp8.payloadBytes(rows: rows, width: width), "\(bytes.count) fp8 payload bytes are not \(rows)×\(width)")
        }
        self.rows = rows
        self.width = width
        self.storage = storage
    }

    /// float32 values stored as `type` (rounded to nearest even for bf16, quantized per 128 values for fp8).
    public init(rows: Int, width: Int, floats: [Float], as type: PayloadType) {
        precondition(floats.count == rows * width, "\(floats.count) values are not \(rows)×\(width)")
        switch type {
        case .f32: self.init(rows: rows, width: width, storage: .f32(floats))
        case .bf16: self.init(rows: rows, width: width, storage: .bf16(BFloat16.bits(of: floats)))
        case .fp8: self.init(rows: rows, width: width, storage: .fp8(Self.quantized(nil, from: floats, rows: rows, width: width)))
        }
    }

    /// The fp8 payload of rows `indices` of `batch` (all its `rows` when nil).
    private static func quantized(_ indices: [UInt32]?, from batch: [Float], rows: Int, width: Int) -> [UInt8] {
        let blocks = rows * PayloadType.fp8Blocks(width: width)
        var scales = [Float](repeating: 0, count: blocks)
        return [UInt8](unsafeUninitializedCapacity: PayloadType.fp8.payloadBytes(rows: rows, width: width)) { bytes, count in
            count = bytes.count
            guard rows > 0, width > 0 else { return }
            let codes = bytes.baseAddress! + 4 * blocks
            batch.withUnsafeBufferPointer { source in
                scales.withUnsafeMutableBufferPointer { scales in
                    if let indices {
                        indices.withUnsafeBufferPointer { sy_quantize_e4m3_rows(source.baseAddress!, $0.baseAddress!, rows, width, scales.baseAddress!, codes) }
                    } else {
                        sy_quantize_e4m3_rows(source.baseAddress!, nil, rows, width, scales.baseAddress!, codes)
                    }
                }
            }
            scales.withUnsafeBytes { UnsafeMutableRawBufferPointer(bytes).copyMemory(from: $0) }
        }
    }

    /// Rows `indices` of a `[batchRows × width]` float32 batch, gathered straight into `type`:
    /// the one copy a dispatch makes before its payload is handed to the transport.
    public init(gathering indices: [UInt32], from batch: [Float], width: Int, as type: PayloadType) {
        let batchRows = width == 0 ? 0 : batch.count / width
        for index in indices { precondition(Int(index) < batchRows, "row \(index) is outside a batch of \(batchRows) rows") }
        switch type {
        case .f32:
            let values = Self.gather(indices, from: batch, width: width, as: Float.self) { $1.initialize(from: $0, count: width) }
            self.init(rows: indices.count, width: width, storage: .f32(values))
        case .bf16:
            let values = Self.gather(indices, from: batch, width: width, as: UInt16.self) { sy_f32_to_bf16($0, $1, width) }
            self.init(rows: indices.count, width: width, storage: .bf16(values))
        case .fp8:
            self.init(rows: indices.count, width: width, storage: .fp8(Self.quantized(indices, from: batch, rows: indices.count, width: width)))
        }
    }

    /// Row i is row `indices[i]` of `batch`, converted by `copyRow(source, target)`, which
    /// initializes all `width` values of the target row (the array is not zeroed first).
    private static func gather<Value>(_ indices: [UInt32], from batch: [Float], width: Int, as _: Value.Type,
                                      copyRow: (UnsafePointer<Float>, UnsafeMutablePointer<Value>) -> Void) -> [Value] {
        [Value](unsafeUninitializedCapacity: indices.count * width) { target, count in
            count = indices.count * width
            batch.withUnsafeBufferPointer { source in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                for (row, index) in indices.enumerated() { copyRow(from + Int(index) * width, to + row * width) }
            }
        }
    }

    public var type: PayloadType {
        switch storage {
        case .f32: .f32
        case .bf16: .bf16
        case .fp8: .fp8
        }
    }

    /// The values as float32: the storage itself for f32, a widened copy for bf16 and fp8.
    public var floats: [Float] {
        switch storage {
        case let .f32(values): return values
        case let .bf16(values): return BFloat16.floats(of: values)
        case let .fp8(bytes):
            let blocks = rows * PayloadType.fp8Blocks(width: width)
            return bytes.withUnsafeBytes { raw in
                let scales = (0..<blocks).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
                return [Float](unsafeUninitializedCapacity: rows * width) { out, count in
                    count = rows * width
                    guard count > 0 else { return }
                    sy_dequantize_e4m3_rows(scales, raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + 4 * blocks, rows, width, out.baseAddress!)
                }
            }
        }
    }

    public var byteCount: Int { type.payloadBytes(rows: rows, width: width) }

    /// Adds row r onto row `targets[r]` of `output` (rows of `width` values), rows in order: the
    /// combine's scatter-add. bf16 is widened as it is added (exactly, as `floats` widens), fp8
    /// through `floats`.
    public func add(into output: UnsafeMutableBufferPointer<Float>, rows targets: [UInt32]) {
        precondition(targets.count == rows, "\(targets.count) target rows for \(rows) rows")
        guard rows > 0, width > 0, let out = output.baseAddress else { return }
        for target in targets { precondition((Int(target) + 1) * width <= output.count, "row \(target) is outside the output") }
        targets.withUnsafeBufferPointer { targets in
            switch storage {
            case let .f32(values): values.withUnsafeBufferPointer { sy_scatter_add_f32(out, $0.baseAddress!, targets.baseAddress!, rows, width) }
            case let .bf16(bits): bits.withUnsafeBufferPointer { sy_scatter_add_bf16(out, $0.baseAddress!, targets.baseAddress!, rows, width) }
            case .fp8: floats.withUnsafeBufferPointer { sy_scatter_add_f32(out, $0.baseAddress!, targets.baseAddress!, rows, width) }
            }
        }
    }

    /// The payload bytes, little-endian as every supported host stores them.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch storage {
        case let .f32(values): try values.withUnsafeBytes(body)
        case let .bf16(values): try values.withUnsafeBytes(body)
        case let .fp8(bytes): try bytes.withUnsafeBytes(body)
        }
    }
}

#if _endian(big)
#error("The wire format is little-endian and payloads are sent as they lie in memory.")
#endif
