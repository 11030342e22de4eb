import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwitchyardCore

/// Writes one safetensors file as a stream: the header first (every tensor's place is known from
/// the shapes), then each tensor's bytes in the header's order, so no tensor is held twice.
public final class SafetensorsWriter {
    public struct Entry: Sendable {
        public var name: String
        public var dtype: SafetensorsDType
        public var shape: [Int]
        public init(name: String, dtype: SafetensorsDType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
        public var byteCount: Int { shape.reduce(dtype.byteSize, *) }
    }

    public let path: String
    private let fd: Int32
    private let expectedDataBytes: Int
    private var writtenDataBytes = 0

    /// Creates `path` and writes the header for `entries`, laid out back to back in this order.
    /// The header is padded with spaces so the data starts at a multiple of 8 bytes.
    public init(path: String, entries: [Entry], metadata: [String: String] = ["format": "pt"]) throws {
        self.path = path
        var header: [String: Any] = [:]
        var offset = 0
        for entry in entries {
            header[entry.name] = ["dtype": entry.dtype.rawValue, "shape": entry.shape, "data_offsets": [offset, offset + entry.byteCount]]
            offset += entry.byteCount
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        expectedDataBytes = offset
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: path, errno: errno) }
        var length = UInt64(json.count).littleEndian
        try withUnsafeBytes(of: &length) { try writeAll($0) }
        try json.withUnsafeBytes { try writeAll($0) }
    }

    deinit { close(fd) }

    /// Appends the next bytes of tensor data.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard writtenDataBytes + bytes.count <= expectedDataBytes else {
            throw CheckpointError(file: path, problem: "more tensor data written than the header announced (\(expectedDataBytes) bytes)")
        }
        try writeAll(bytes)
        writtenDataBytes += bytes.count
    }

    /// Appends `values` as `dtype`'s plain type: float32, or bf16 (rounded to nearest even) for bf16
    /// and fp8, whose checkpoints keep vectors and unquantised matrices in bf16.
    public func append(_ values: [Float], as dtype: WeightDType) throws {
        switch dtype.plainSafetensors {
        case .f32: try values.withUnsafeBytes { try append($0) }
        default: try values.map(BFloat16.bits).withUnsafeBytes { try append($0) }
        }
    }

    /// Appends a matrix stored whole (FP8 matrices go through `CheckpointWriter`, codes and scales apart).
    public func append(_ matrix: WeightMatrix, as dtype: WeightDType) throws {
        switch (matrix.storage, dtype.plainSafetensors) {
        case let (.bf16(bits), .bf16): try append(bits)
        case let (.f32(values), .f32): try append(values)
        case let (.f32(values), _): try append(values.array, as: dtype)
        case (.bf16, _), (.fp8, _): try append(matrix.floats, as: dtype)
        }
    }

    /// Appends elements as they are in memory (little-endian).
    public func append<Element>(_ elements: WeightBuffer<Element>) throws {
        try elements.withUnsafeBufferPointer { try append(UnsafeRawBufferPointer($0)) }
    }

    /// Checks that every announced byte was written.
    public func finish() throws {
        guard writtenDataBytes == expectedDataBytes else {
            throw CheckpointError(file: path, problem: "\(writtenDataBytes) bytes of tensor data written, the header announced \(expectedDataBytes)")
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw FileWriteError(path: path, errno: errno) }
            done += n
        }
    }
}
