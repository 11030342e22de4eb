/// The ranges numbers read from files and flags may take, and arithmetic on them that reports
/// overflow instead of trapping: one place for every input's ceilings and size products.
public enum InputBounds {
    /// What is wrong with `value`, or nil when it lies in `allowed`; the text goes after the
    /// name of the field or flag ("must be in 1...4194304, got 4611686018427387904").
    public static func problem(_ value: Int, allowed: ClosedRange<Int>) -> String? {
        allowed.contains(value) ? nil : "must be in \(allowed.lowerBound)...\(allowed.upperBound), got \(value)"
    }

    /// The same for a real number; NaN and infinities are never allowed.
    public static func problem(_ value: Double, allowed: ClosedRange<Double>) -> String? {
        guard value.isFinite else { return "must be a finite number, got \(value)" }
        return allowed.contains(value) ? nil : "must be in \(format(allowed.lowerBound))...\(format(allowed.upperBound)), got \(format(value))"
    }

    /// `factors` multiplied, or nil when the product does not fit in an Int (or a factor is negative).
    public static func product(_ factors: Int...) -> Int? { product(factors) }

    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// `terms` added, or nil when the sum does not fit in an Int.
    public static func sum(_ terms: Int...) -> Int? { sum(terms) }

    public static func sum(_ terms: [Int]) -> Int? {
        var result = 0
        for term in terms {
            let (next, overflow) = result.addingReportingOverflow(term)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// A Double as an error message shows it: whole numbers without ".0".
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
