import Foundation

/// A fresh directory under the system's temporary folder, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes a safetensors file from a header's JSON text and raw data bytes, as given: no checks.
    @discardableResult
    func safetensors(_ name: String, header: String, data: [UInt8], headerLength: UInt64? = nil) throws -> String {
        var bytes = Data()
        var length = (headerLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(contentsOf: data)
        try bytes.write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
    }
}

/// The bytes of float32 values, little-endian.
func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.withUnsafeBytes { Array($0) }
}
