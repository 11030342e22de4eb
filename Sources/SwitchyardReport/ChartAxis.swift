import Foundation

/// What the charts share: round tick values and their labels, and where a label may stand so
/// that it stays inside its picture.
enum ChartAxis {
    /// Round values from 0 up to at least `peak` (1, 2 or 5 × a power of ten apart), at most `count` + 1 of them.
    static func ticks(upTo peak: Double, count: Int = 4) -> [Double] {
        guard peak > 0, peak.isFinite else { return [0, 1] }
        let raw = peak / Double(count), power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        let top = ceil(peak / step - 1e-9)
        return (0...Int(top)).map { Double($0) * step }
    }

    /// A duration in the unit that suits the axis's largest value: "250 µs", "1.5 ms", "2 s".
    static func seconds(_ value: Double, scale: Double) -> String {
        if scale >= 1 { return String(format: "%g s", value) }
        if scale >= 1e-3 { return String(format: "%g ms", (value * 1e3 * 1000).rounded() / 1000) }
        return String(format: "%g µs", (value * 1e6 * 1000).rounded() / 1000)
    }

    /// Round byte counts from 0 up to `peak`, labelled in the binary unit that suits the peak
    /// ("0", "1 KiB", "2 KiB", …) as elsewhere in the report.
    static func byteTicks(upTo peak: Double) -> [(value: Double, label: String)] {
        let units: [(Double, String)] = [(1_073_741_824, "GiB"), (1_048_576, "MiB"), (1024, "KiB"), (1, "B")]
        let (size, name) = units.first { peak >= $0.0 } ?? (1, "B")
        return ticks(upTo: peak / size).filter { $0 * size <= peak * (1 + 1e-9) }.map { value in
            (value * size, value == 0 ? "0" : String(format: "%g ", value) + name)
        }
    }

    /// Rough width of `text` at the reports' 11 px font.
    static func width(_ text: String) -> Double { 6.2 * Double(text.count) }

    /// An x for middle-anchored `text` near `x` that keeps it within 0...`limit`.
    static func fit(_ text: String, at x: Double, within limit: Double) -> Double {
        let half = width(text) / 2
        return min(max(x, half), limit - half)
    }
}
