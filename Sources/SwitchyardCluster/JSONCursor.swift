import Foundation
import SwitchyardTopology

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
        guard case let .number(number) = value, number == number.rounded(), abs(number) < 1e15 else { throw wrongType("an integer") }
        return Int(number)
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
