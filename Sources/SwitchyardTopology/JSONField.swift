/// One value of a topology file with the path that leads to it, so every check can name
/// the file and the JSON path in its error.
struct JSONField {
    let value: JSONValue
    let path: String
    let file: String

    func fail(_ problem: String) -> TopologyError { TopologyError(file: file, path: path, problem: problem) }

    func object(allowedKeys: Set<String>) throws -> [String: JSONValue] {
        guard case let .object(members) = value else { throw fail("is \(value.typeName), expected an object") }
        if let unknown = members.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw TopologyError(file: file, path: "\(path).\(unknown)",
                                problem: "is not a known field (known: \(allowedKeys.sorted().joined(separator: ", ")))")
        }
        return members
    }

    func member(_ key: String) throws -> JSONField {
        guard let field = optionalMember(key) else { throw TopologyError(file: file, path: "\(path).\(key)", problem: "is missing") }
        return field
    }

    func optionalMember(_ key: String) -> JSONField? {
        guard case let .object(members) = value, let v = members[key], v != .null else { return nil }
        return JSONField(value: v, path: "\(path).\(key)", file: file)
    }

    func elements() throws -> [JSONField] {
        guard case let .array(items) = value else { throw fail("is \(value.typeName), expected an array") }
        return items.enumerated().map { JSONField(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws -> String {
        guard case let .string(s) = value else { throw fail("is \(value.typeName), expected a string") }
        return s
    }

    func bool() throws -> Bool {
        guard case let .bool(b) = value else { throw fail("is \(value.typeName), expected true or false") }
        return b
    }

    func integer() throws -> Int {
        guard case let .number(n) = value, n == n.rounded(), abs(n) < 1e15 else {
            throw fail("is \(value.typeName == "a number" ? "not a whole number" : value.typeName), expected an integer")
        }
        return Int(n)
    }

    /// A fraction of a peak: a number in (0, 1].
    func fraction() throws -> Double {
        guard case let .number(n) = value else { throw fail("is \(value.typeName), expected a number in (0, 1]") }
        guard n > 0, n <= 1 else { throw fail("must be in (0, 1], got \(n)") }
        return n
    }

    /// A quantity with a unit ("450 GB/s") or a bare number in the kind's base unit.
    func quantity(_ kind: QuantityKind, allowZero: Bool = false) throws -> Double {
        let amount: Double
        switch value {
        case let .number(n): amount = n * kind.baseUnitScale
        case let .string(text):
            do { amount = try kind.parse(text) } catch { throw fail(error.problem) }
        default: throw fail("is \(value.typeName), expected \(kind.noun) such as \"\(kind.example)\"")
        }
        guard amount.isFinite else { throw fail("is not finite") }
        if allowZero {
            guard amount >= 0 else { throw fail("must not be negative, got \(value.display)") }
        } else {
            guard amount > 0 else { throw fail("must be positive, got \(value.display)") }
        }
        return amount
    }
}

extension JSONValue {
    var display: String {
        switch self {
        case let .string(s): "\"\(s)\""
        case let .number(n): n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        default: typeName
        }
    }
}
