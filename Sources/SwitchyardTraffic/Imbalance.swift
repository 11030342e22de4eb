/// Load imbalance: the largest share over the mean share (1 is perfectly even; 0 when idle).
public enum Imbalance {
    public static func of(_ loads: [Int]) -> Double {
        guard !loads.isEmpty else { return 0 }
        let total = loads.reduce(0, +)
        guard total > 0 else { return 0 }
        return Double(loads.max()!) / (Double(total) / Double(loads.count))
    }
}
