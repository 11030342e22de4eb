import Foundation

/// One value of a JSON input file with the path that leads to it (`$.hosts[1].port`), so every
/// check can name the file and the place in its error. Topology and cluster files read through it.
public struct JSONField: Sendable {
    public let value: JSONValue
    public let path: String
    public let file: String

    public init(value: JSONValue, path: String, file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    /// The document in `data` as the root field `$`.
    public init(document data: Data, file: String) throws(JSONFileError) {
        do { value = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw JSONFileError(file: file, path: "$", problem: "is not valid JSON")
        }
        path = "$"
        self.file = file
    }

    /// Largest topology or cluster file read: such files are a few kilobytes.
    public static let maximumFileBytes = 16 << 20

    /// The document in the file at `path` (named as given in errors) as the root field `$`.
    /// Only a regular file is opened, so a FIFO in its place is refused rather than waited on.
    public init(contentsOfFile path: String) throws(JSONFileError) {
        let data: Data
        do { data = try RegularFile.contents(path, limit: Self.maximumFileBytes) } catch {
            throw JSONFileError(file: path, path: "$", problem: error.problem)
        }
        try self.init(document: data, file: path)
    }

    public func fail(_ problem: String) -> JSONFileError { JSONFileError(file: file, path: path, problem: problem) }

    /// The object's members, refusing keys outside `allowedKeys`: a typo should not pass silently.
    /// `unknown` says what is wrong with such a key.
    @discardableResult
    public func object(allowedKeys: Set<String>, unknown: String = "is not a known field") throws(JSONFileError) -> [String: JSONField] {
        guard case let .object(members) = value else { throw fail("is \(value.typeName), expected an object") }
        if let key = members.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw child(key, members[key]!).fail("\(unknown) (known: \(allowedKeys.sorted().joined(separator: ", ")))")
        }
        return members.reduce(into: [:]) { $0[$1.key] = child($1.key, $1.value) }
    }

    /// The member `key`; a missing or null member is an error naming its path.
    public func member(_ key: String) throws(JSONFileError) -> JSONField {
        guard let field = optionalMember(key) else { throw JSONFileError(file: file, path: "\(path).\(key)", problem: "is missing") }
        return field
    }

    /// The member `key`, or nil when it is absent or null (or this is not an object).
    public func optionalMember(_ key: String) -> JSONField? {
        guard case let .object(members) = value, let member = members[key], member != .null else { return nil }
        return child(key, member)
    }

    private func child(_ key: String, _ value: JSONValue) -> JSONField {
        JSONField(value: value, path: "\(path).\(key)", file: file)
    }

    public func elements() throws(JSONFileError) -> [JSONField] {
        guard case let .array(items) = value else { throw fail("is \(value.typeName), expected an array") }
        return items.enumerated().map { JSONField(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    public func string() throws(JSONFileError) -> String {
        guard case let .string(s) = value else { throw fail("is \(value.typeName), expected a string") }
        return s
    }

    public func bool() throws(JSONFileError) -> Bool {
        guard case let .bool(b) = value else { throw fail("is \(value.typeName), expected true or false") }
        return b
    }

    public func integer() throws(JSONFileError) -> Int {
        guard case let .number(n) = value, n == n.rounded(), abs(n) < 1e15 else {
            throw fail("is \(value.typeName == "a number" ? "not a whole number" : value.typeName), expected an integer")
        }
        return Int(n)
    }

    /// An integer in `allowed`; outside it the error names this field and the range.
    public func integer(in allowed: ClosedRange<Int>) throws(JSONFileError) -> Int {
        let n = try integer()
        if let problem = InputBounds.problem(n, allowed: allowed) { throw fail(problem) }
        return n
    }
}

extension JSONValue {
    /// The value as an error message quotes it: strings quoted, whole numbers without a point.
    public var display: String {
        switch self {
        case let .string(s): "\"\(s)\""
        case let .number(n): n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        default: typeName
        }
    }
}
