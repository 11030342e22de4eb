import Foundation

/// One tensor as a safetensors header describes it.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Where the tensor's bytes lie, relative to the start of the data region (after the header).
    public let dataOffsets: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// The parsed, fully validated JSON header of a safetensors file. Pure: bytes in, tensors out.
public struct SafetensorsHeader: Sendable {
    public var tensors: [String: SafetensorsTensorInfo]
    public var metadata: [String: String]

    /// Parses `json` and checks every tensor against a data region of `dataSize` bytes:
    /// known dtype, non-negative dimensions, offsets in order and inside the region, a span that
    /// matches shape × dtype size, and no two tensors sharing bytes.
    public static func parse(_ json: Data, dataSize: Int, file: String) throws -> SafetensorsHeader {
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch let error as EntryError {
            throw CheckpointError(file: file, tensor: error.tensor, problem: error.problem)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw CheckpointError(file: file, problem: "header is not a JSON object")
        } catch {
            throw CheckpointError(file: file, problem: "header is not valid JSON")
        }
        var tensors: [String: SafetensorsTensorInfo] = [:]
        for entry in raw.entries {
            func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, tensor: entry.name, problem: problem) }
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                throw fail("unknown dtype \"\(entry.dtype)\"")
            }
            if let negative = entry.shape.first(where: { $0 < 0 }) { throw fail("shape \(entry.shape) has a negative dimension \(negative)") }
            guard entry.dataOffsets.count == 2 else { throw fail("data_offsets \(entry.dataOffsets) is not a [begin, end] pair") }
            let (begin, end) = (entry.dataOffsets[0], entry.dataOffsets[1])
            guard begin >= 0, begin <= end else { throw fail("data_offsets [\(begin), \(end)] are negative or reversed") }
            guard end <= dataSize else {
                throw fail("data_offsets [\(begin), \(end)] end past the data region's \(dataSize) bytes (file truncated?)")
            }
            var bytes = dtype.byteSize
            for dimension in entry.shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw fail("shape \(entry.shape) is too large") }
                bytes = product
            }
            guard bytes == end - begin else {
                throw fail("shape \(entry.shape) of \(dtype.rawValue) needs \(bytes) bytes but data_offsets [\(begin), \(end)] span \(end - begin)")
            }
            tensors[entry.name] = SafetensorsTensorInfo(name: entry.name, dtype: dtype, shape: entry.shape, dataOffsets: begin..<end)
        }
        let ordered = tensors.values.filter { !$0.dataOffsets.isEmpty }
            .sorted { ($0.dataOffsets.lowerBound, $0.name) < ($1.dataOffsets.lowerBound, $1.name) }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            throw CheckpointError(file: file, tensor: next.name, problem:
                "data_offsets [\(next.dataOffsets.lowerBound), \(next.dataOffsets.upperBound)] overlap tensor '\(previous.name)' [\(previous.dataOffsets.lowerBound), \(previous.dataOffsets.upperBound)]")
        }
        return SafetensorsHeader(tensors: tensors, metadata: raw.metadata)
    }
}

/// A problem with one entry, found while decoding; `parse` adds the file name.
private struct EntryError: Error {
    var tensor: String?
    var problem: String
}

/// The header as JSON, before any check beyond "these fields have these JSON types".
private struct RawHeader: Decodable {
    struct Entry {
        var name: String
        var dtype: String
        var shape: [Int]
        var dataOffsets: [Int]
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]

    init(from decoder: Decoder) throws {
        let top = try decoder.container(keyedBy: Key.self)
        for key in top.allKeys {
            if key.stringValue == "__metadata__" {
                guard let metadata = try? top.decode([String: String].self, forKey: key) else {
                    throw EntryError(tensor: nil, problem: "header's __metadata__ is not an object of strings")
                }
                self.metadata = metadata
                continue
            }
            let name = key.stringValue
            guard let fields = try? top.nestedContainer(keyedBy: Key.self, forKey: key) else {
                throw EntryError(tensor: name, problem: "header entry is not an object")
            }
            func field<T: Decodable>(_ type: T.Type, _ field: String, _ expected: String) throws -> T {
                guard fields.contains(Key(stringValue: field)) else { throw EntryError(tensor: name, problem: "header entry has no \(field)") }
                guard let value = try? fields.decode(T.self, forKey: Key(stringValue: field)) else {
                    throw EntryError(tensor: name, problem: "\(field) is not \(expected)")
                }
                return value
            }
            entries.append(Entry(
                name: name,
                dtype: try field(String.self, "dtype", "a string"),
                shape: try field([Int].self, "shape", "a list of integers"),
                dataOffsets: try field([Int].self, "data_offsets", "a list of integers")))
        }
    }
}
