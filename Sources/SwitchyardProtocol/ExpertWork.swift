import SwitchyardWire

/// The rows of a host's token list that one expert processes, with each row's gate weight:
/// what lets a host run each expert once over all its tokens.
public struct ExpertWork: Equatable, Sendable {
    public let expert: Int
    /// Rows in the host's token list, ascending.
    public let rows: [Int]
    public let weights: [Float]

    public init(expert: Int, rows: [Int], weights: [Float]) {
        precondition(rows.count == weights.count, "\(rows.count) rows but \(weights.count) weights")
        self.expert = expert
        self.rows = rows
        self.weights = weights
    }
}

extension TokenRoutes {
    /// The routes regrouped by expert: experts ascending, rows ascending within each.
    public var expertWork: [ExpertWork] {
        var slot: [UInt32: Int] = [:]
        var rows: [[Int]] = []
        var weights: [[Float]] = []
        for row in 0..<count {
            for pair in pairs(ofRow: row) {
                let expert = experts[pair]
                let index: Int
                if let known = slot[expert] {
                    index = known
                } else {
                    index = rows.count
                    slot[expert] = index
                    rows.append([])
                    weights.append([])
                }
                rows[index].append(row)
                weights[index].append(self.weights[pair])
            }
        }
        return slot.sorted { $0.key < $1.key }.map { expert, index in
            ExpertWork(expert: Int(expert), rows: rows[index], weights: weights[index])
        }
    }
}
