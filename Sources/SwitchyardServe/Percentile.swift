/// Quantiles as vLLM's benchmark_serving reports them: numpy.percentile's default (linear
/// interpolation between the two nearest ranks), computed exactly on the sorted values. A run
/// holds thousands of values at most, so no histogram is needed.
public enum Percentile {
    /// The `p`-th percentile (0...100) of `values`; 0 for none.
    public static func of(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let position = Double(sorted.count - 1) * min(max(p, 0), 100) / 100
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    public static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
