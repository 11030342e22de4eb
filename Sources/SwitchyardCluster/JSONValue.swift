import Foundation

/// A parsed JSON document, kept typed so a number is never mistaken for a boolean.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Int.self) { self = .int(value) }
        else if let value = try? c.decode(Double.self) { self = .double(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// What a message calls this value's type.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A value with the path that leads to it, so every complaint can name its place.
struct JSONCursor {
    let value: JSONValue
    let path: String
    let file: String

    func fail(_ problem: String) -> ClusterError { ClusterError(file: file, path: path.isEmpty ? "(top level)" : path, problem: problem) }

    private func wrongType(_ expected: String) -> ClusterError { fail("has the wrong type: expected \(expected), got \(value.typeName)") }

    /// The object's members, refusing keys outside `allowed` (a typo should not pass silently).
    func object(allowed: [String]) throws(ClusterError) -> [String: JSONCursor] {
        guard case let .object(members) = value else { throw wrongType("an object") }
        for key in members.keys.sorted() where !allowed.contains(key) {
            throw child(key, members[key]!).fail("is not a known key here (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
        return members.reduce(into: [:]) { $0[$1.key] = child($1.key, $1.value) }
    }

    private func child(_ key: String, _ value: JSONValue) -> JSONCursor {
        JSONCursor(value: value, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    func string() throws(ClusterError) -> String {
        guard case let .string(text) = value else { throw wrongType("a string") }
        return text
    }

    func int() throws(ClusterError) -> Int {
        guard case let .int(number) = value else { throw wrongType("an integer") }
        return number
    }

    func array() throws(ClusterError) -> [JSONCursor] {
        guard case let .array(items) = value else { throw wrongType("an array") }
        return items.enumerated().map { JSONCursor(value: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }
}

extension Dictionary where Key == String, Value == JSONCursor {
    /// The member `key`, or an error naming `parent.key` as missing.
    func required(_ key: String, in parent: JSONCursor) throws(ClusterError) -> JSONCursor {
        guard let member = self[key] else {
            throw ClusterError(file: parent.file, path: parent.path.isEmpty ? key : "\(parent.path).\(key)", problem: "is missing")
        }
        return member
    }
}
