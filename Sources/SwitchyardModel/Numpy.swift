import Foundation
import SwitchyardCore

/// A float32 array in NumPy's `.npy` format (version 1.0, little-endian '<f4', C order): how
/// reference logits travel between Python and Switchyard's tests.
public struct NumpyArray: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The file's bytes: magic, version 1.0, the header dict padded with spaces and ending in a
    /// newline so the data starts at a multiple of 64 bytes, then the values.
    public func encoded() -> Data {
        let dims = shape.map(String.init).joined(separator: ", ")
        let tuple = shape.count == 1 ? "(\(dims),)" : "(\(dims))"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
        let unpadded = Self.magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(Self.magic + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: header.utf8)
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    public func write(to url: URL) throws { try OutputFile.write(encoded(), to: url.path) }

    public static func read(contentsOf url: URL) throws -> NumpyArray {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CheckpointError(file: url.path, problem: "is missing or unreadable")
        }
        return try decode(data, file: url.path)
    }

    /// Reads a float32, C-order .npy file of version 1.0, 2.0 or 3.0.
    public static func decode(_ data: Data, file: String) throws -> NumpyArray {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("is not a .npy file (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard (1...3).contains(major), bytes.count >= 8 + lengthBytes else { throw fail(".npy version \(major).\(bytes[7]) is not supported") }
        let headerLength = bytes[8..<8 + lengthBytes].reversed().reduce(0) { $0 << 8 | Int($1) }
        let dataStart = 8 + lengthBytes + headerLength
        guard dataStart <= bytes.count, let header = String(bytes: bytes[8 + lengthBytes..<dataStart], encoding: .utf8) else {
            throw fail("header length \(headerLength) runs past the end of the file")
        }
        guard let descr = field("descr", in: header), descr.hasPrefix("'") else { throw fail("header has no descr") }
        guard descr == "'<f4'" || descr == "'=f4'" || descr == "'f4'" else { throw fail("dtype \(descr) is not float32 ('<f4')") }
        guard field("fortran_order", in: header) == "False" else { throw fail("is in Fortran order; only C order is supported") }
        guard let shapeText = field("shape", in: header), shapeText.hasPrefix("("), shapeText.hasSuffix(")") else { throw fail("header has no shape tuple") }
        let dims = shapeText.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = try dims.map { text -> Int in
            guard let dim = Int(text), dim >= 0 else { throw fail("shape \(shapeText) is not a tuple of sizes") }
            return dim
        }
        let count = shape.reduce(1, *)
        guard bytes.count - dataStart == count * 4 else {
            throw fail("shape \(shape) needs \(count * 4) bytes of data, the file holds \(bytes.count - dataStart)")
        }
        let values = bytes[dataStart...].withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        return NumpyArray(shape: shape, values: values)
    }

    /// The text of `key`'s value in the header dict: up to the next top-level comma or brace.
    private static func field(_ key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)':") else { return nil }
        var depth = 0
        var value = ""
        for character in header[keyRange.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth == 0, character == "," || character == "}" { break }
            value.append(character)
        }
        return value.trimmingCharacters(in: .whitespaces)
    }
}
