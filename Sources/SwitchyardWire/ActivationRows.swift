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
    }

    public let rows: Int
    public let width: Int
    public let storage: Storage

    public init(rows: Int, width: Int, storage: Storage) {
        precondition(rows >= 0 && width >= 0, "negative activation shape \(rows)×\(width)")
        switch storage {
        case let .f32(values): precondition(values.count == rows * width, "\(values.count) f32 values are not \(rows)×\(width)")
        case let .bf16(values): precondition(values.count == rows * width, "\(values.count) bf16 values are not \(rows)×\(width)")
        }
        self.rows = rows
        self.width = width
        self.storage = storage
    }

    /// float32 values stored as `type` (rounded to nearest even for bf16).
    public init(rows: Int, width: Int, floats: [Float], as type: PayloadType) {
        let storage: Storage = type == .f32 ? .f32(floats) : .bf16(BFloat16.bits(of: floats))
        self.init(rows: rows, width: width, storage: storage)
    }

    /// Rows `indices` of a `[batchRows × width]` float32 batch, gathered straight into `type`:
    /// the one copy a dispatch makes before its payload is handed to the transport.
    public init(gathering indices: [UInt32], from batch: [Float], width: Int, as type: PayloadType) {
        let batchRows = width == 0 ? 0 : batch.count / width
        for index in indices { precondition(Int(index) < batchRows, "row \(index) is outside a batch of \(batchRows) rows") }
        switch type {
        case .f32:
            var values = [Float](repeating: 0, count: indices.count * width)
            Self.gather(indices, from: batch, width: width, into: &values) { $1.update(from: $0, count: width) }
            self.init(rows: indices.count, width: width, storage: .f32(values))
        case .bf16:
            var values = [UInt16](repeating: 0, count: indices.count * width)
            Self.gather(indices, from: batch, width: width, into: &values) { sy_f32_to_bf16($0, $1, width) }
            self.init(rows: indices.count, width: width, storage: .bf16(values))
        }
    }

    /// Copies row `indices[i]` of `batch` to row i of `values`, converting with `copyRow(source, target)`.
    private static func gather<Value>(_ indices: [UInt32], from batch: [Float], width: Int, into values: inout [Value],
                                      copyRow: (UnsafePointer<Float>, UnsafeMutablePointer<Value>) -> Void) {
        batch.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                for (row, index) in indices.enumerated() { copyRow(from + Int(index) * width, to + row * width) }
            }
        }
    }

    public var type: PayloadType {
        switch storage {
        case .f32: .f32
        case .bf16: .bf16
        }
    }

    /// The values as float32: the storage itself for f32, a widened copy for bf16.
    public var floats: [Float] {
        switch storage {
        case let .f32(values): values
        case let .bf16(values): BFloat16.floats(of: values)
        }
    }

    public var byteCount: Int { rows * width * type.bytesPerValue }

    /// The payload bytes, little-endian as every supported host stores them.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch storage {
        case let .f32(values): try values.withUnsafeBytes(body)
        case let .bf16(values): try values.withUnsafeBytes(body)
        }
    }
}

#if _endian(big)
#error("The wire format is little-endian and payloads are sent as they lie in memory.")
#endif
