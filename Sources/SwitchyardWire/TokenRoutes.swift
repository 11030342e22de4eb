/// The tokens one host receives and, per token, the (expert, gate weight) pairs it must apply:
/// what a dispatch carries besides the activations.
///
/// Rows are in ascending token order, one row per token; row `r`'s pairs are
/// `pairStarts[r] ..< pairStarts[r + 1]` in `experts` and `weights` (compressed rows).
public struct TokenRoutes: Equatable, Sendable {
    /// Batch token index of each row.
    public private(set) var tokens: [UInt32] = []
    public private(set) var pairStarts: [Int] = [0]
    public private(set) var experts: [UInt32] = []
    public private(set) var weights: [Float] = []

    public init() {}

    /// Appends a row; the planner and the decoder keep tokens ascending and experts distinct.
    public mutating func append(token: UInt32, pairs: some Sequence<(expert: UInt32, weight: Float)>) {
        tokens.append(token)
        for pair in pairs {
            experts.append(pair.expert)
            weights.append(pair.weight)
        }
        pairStarts.append(experts.count)
    }

    /// Starts a row with no pairs yet; `appendPair` fills it.
    public mutating func beginRow(token: UInt32) {
        tokens.append(token)
        pairStarts.append(experts.count)
    }

    /// Adds a pair to the last row.
    public mutating func appendPair(expert: UInt32, weight: Float) {
        precondition(!tokens.isEmpty, "no row to add a pair to")
        experts.append(expert)
        weights.append(weight)
        pairStarts[pairStarts.count - 1] = experts.count
    }

    public var count: Int { tokens.count }
    public var pairCount: Int { experts.count }
    public var isEmpty: Bool { tokens.isEmpty }

    /// Indices into `experts` and `weights` of row `row`'s pairs.
    public func pairs(ofRow row: Int) -> Range<Int> { pairStarts[row]..<pairStarts[row + 1] }

    public mutating func reserve(rows: Int, pairs: Int) {
        tokens.reserveCapacity(rows)
        pairStarts.reserveCapacity(rows + 1)
        experts.reserveCapacity(pairs)
        weights.reserveCapacity(pairs)
    }
}
