import SwitchyardCore

/// The topology file's own kinds of value: fractions of a peak and quantities with units.
extension JSONField {
    /// A fraction of a peak: a number in (0, 1].
    func fraction() throws(JSONFileError) -> Double {
        guard case let .number(n) = value else { throw fail("is \(value.typeName), expected a number in (0, 1]") }
        guard n > 0, n <= 1 else { throw fail("must be in (0, 1], got \(n)") }
        return n
    }

    /// A quantity with a unit ("450 GB/s") or a bare number in the kind's base unit.
    func quantity(_ kind: QuantityKind, allowZero: Bool = false) throws(JSONFileError) -> Double {
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
        let allowed = TopologyBounds.allowed(kind, allowZero: allowZero)
        guard allowed.contains(amount) else {
            throw fail("\(value.display) is \(amount) in SI units, outside \(allowed.lowerBound)...\(allowed.upperBound) for \(kind.noun)")
        }
        return amount
    }
}
