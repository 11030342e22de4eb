import Foundation
import SwitchyardCore

/// A safetensors file, memory-mapped and validated: the header is parsed and every tensor's
/// place checked when the file opens; tensor bytes are touched only when copied out or used.
/// 16- and 8-bit weights are handed out in place (`WeightBuffer`), which keeps the mapping alive.
///
/// Counts the bytes handed out of each tensor (copied or in place), so tests can prove that a
/// process which owns some experts reads only their slices.
public final class SafetensorsFile: @unchecked Sendable {
    // The mapping and the header are immutable; only the byte counters change, under `lock`.
    public let path: String
    public let tensors: [String: SafetensorsTensorInfo]
    public let metadata: [String: String]
    /// The header's JSON bytes exactly as stored (padding included): what fingerprints digest.
    public let headerJSON: Data
    private let file: MappedFile
    private let dataStart: Int
    private let lock = NSLock()
    private var bytesReadByTensor: [String: Int] = [:]

    /// Headers larger than this are taken as corruption rather than allocated.
    public static let maximumHeaderBytes = 100 << 20

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        guard file.size >= 8 else {
            throw CheckpointError(file: path, problem: "is \(file.size) bytes, too short for the 8-byte header length (truncated?)")
        }
        let length = file.bytes(0..<8).loadUnaligned(as: UInt64.self).littleEndian
        guard length <= UInt64(Self.maximumHeaderBytes) else {
            throw CheckpointError(file: path, problem: "header length \(length) is absurd (more than \(Self.maximumHeaderBytes) bytes); not a safetensors file?")
        }
        guard 8 + Int(length) <= file.size else {
            throw CheckpointError(file: path, problem: "header length \(length) runs past the end of the file (\(file.size) bytes; truncated?)")
        }
        dataStart = 8 + Int(length)
        headerJSON = Data(file.bytes(8..<dataStart))
        let header = try SafetensorsHeader.parse(headerJSON, dataSize: file.size - dataStart, file: path)
        tensors = header.tensors
        metadata = header.metadata
    }

    /// Tensor names in the order their bytes lie in the file.
    public var tensorNames: [String] {
        tensors.values.sorted { ($0.dataOffsets.lowerBound, $0.name) < ($1.dataOffsets.lowerBound, $1.name) }.map(\.name)
    }

    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = tensors[name] else { throw CheckpointError(file: path, tensor: name, problem: "is not in the file") }
        return info
    }

    /// Runs `body` over the raw little-endian bytes of `elements` (all of them when nil) of tensor `name`.
    public func withBytes<R>(_ name: String, elements: Range<Int>? = nil, _ body: (UnsafeRawBufferPointer, SafetensorsTensorInfo) throws -> R) throws -> R {
        let info = try info(name)
        let range = elements ?? 0..<info.elementCount
        guard range.lowerBound >= 0, range.upperBound <= info.elementCount else {
            throw CheckpointError(file: path, tensor: name, problem: "elements \(range) asked for, but it has \(info.elementCount)")
        }
        let size = info.dtype.byteSize
        let begin = dataStart + info.dataOffsets.lowerBound + range.lowerBound * size
        let bytes = file.bytes(begin..<begin + range.count * size)
        lock.withLock { bytesReadByTensor[name, default: 0] += bytes.count }
        return try body(bytes, info)
    }

    /// The values of `elements` widened to float32 (F32, BF16, F16 or F8_E4M3 without scaling).
    public func floats(_ name: String, elements: Range<Int>? = nil) throws -> [Float] {
        try checkWeightType(name)
        return try withBytes(name, elements: elements) { bytes, info in
            FloatDecoding.floats(bytes, dtype: info.dtype)
        }
    }

    /// The bfloat16 bit patterns of `elements`; the tensor must be BF16.
    public func bf16Bits(_ name: String, elements: Range<Int>? = nil) throws -> [UInt16] {
        try bf16(name, elements: elements).array
    }

    /// The float32 values of `elements`, in place in the mapped file (copied only when the tensor's
    /// bytes are not 4-byte aligned in the file); the tensor must be F32.
    public func f32(_ name: String, elements: Range<Int>? = nil) throws -> WeightBuffer<Float> {
        try inPlace(name, elements: elements, dtype: .f32)
    }

    /// The bfloat16 bit patterns of `elements`, in place in the mapped file (copied only when the
    /// tensor's bytes are not 2-byte aligned in the file); the tensor must be BF16.
    public func bf16(_ name: String, elements: Range<Int>? = nil) throws -> WeightBuffer<UInt16> {
        try inPlace(name, elements: elements, dtype: .bf16)
    }

    /// The FP8 E4M3 codes of `elements`, in place in the mapped file; the tensor must be F8_E4M3.
    public func e4m3(_ name: String, elements: Range<Int>? = nil) throws -> WeightBuffer<UInt8> {
        try inPlace(name, elements: elements, dtype: .f8E4M3)
    }

    private func inPlace<Element: BitwiseCopyable>(_ name: String, elements: Range<Int>?, dtype: SafetensorsDType) throws -> WeightBuffer<Element> {
        let info = try info(name)
        guard info.dtype == dtype else { throw CheckpointError(file: path, tensor: name, problem: "is \(info.dtype.rawValue), not \(dtype.rawValue)") }
        return try withBytes(name, elements: elements) { bytes, _ in
            let count = bytes.count / MemoryLayout<Element>.stride
            if let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Element>.alignment != 0 {
                return WeightBuffer([Element](unsafeUninitializedCapacity: count) { out, initialized in
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes)
                    initialized = count
                })
            }
            return WeightBuffer(mappedAt: bytes.baseAddress, count: count, owner: file)
        }
    }

    private func checkWeightType(_ name: String) throws {
        let dtype = try info(name).dtype
        guard dtype.isWeightType else {
            throw CheckpointError(file: path, tensor: name, problem: "dtype \(dtype.rawValue) is not supported for weights (F32, BF16, F16, F8_E4M3)")
        }
    }

    // MARK: Statistics

    /// Bytes handed out of tensor `name` since the file opened.
    public func bytesRead(tensor name: String) -> Int { lock.withLock { bytesReadByTensor[name] ?? 0 } }

    public var totalBytesRead: Int { lock.withLock { bytesReadByTensor.values.reduce(0, +) } }
}

/// Turning little-endian tensor bytes, at any alignment, into Swift arrays.
enum FloatDecoding {
    static func floats(_ bytes: UnsafeRawBufferPointer, dtype: SafetensorsDType) -> [Float] {
        let count = bytes.count / dtype.byteSize
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .f32:
                if count > 0 { UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<count * 4])) }
            case .bf16:
                for i in 0..<count { out[i] = BFloat16.float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .f16:
                for i in 0..<count { out[i] = FloatFormats.float(half: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .f8E4M3:
                FloatFormats.e4m3Table.withUnsafeBufferPointer { table in
                    for i in 0..<count { out[i] = table[Int(bytes[i])] }
                }
            default:
                preconditionFailure("\(dtype.rawValue) is not a weight type")
            }
            initialized = count
        }
    }
}
