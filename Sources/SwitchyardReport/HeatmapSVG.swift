import Foundation

/// A device × device grid shaded by the bytes sent from the row's device to the column's.
struct HeatmapSVG {
    var names: [String]
    var bytes: [Double]
    /// What the peak is counted over.
    var caption = "per step"
    /// Largest cell side, in pixels: small multiples pass less.
    var cellLimit = 28.0

    func render() -> String {
        let n = names.count
        let cell = max(8.0, min(cellLimit, 640.0 / Double(max(1, n))))
        let margin = 110.0, size = margin + cell * Double(n) + 10
        let peak = bytes.max() ?? 0
        var parts: [String] = []
        for (i, name) in names.enumerated() {
            let c = margin + (Double(i) + 0.5) * cell
            parts.append("<text x=\"\(f(margin - 4))\" y=\"\(f(c + 3))\" text-anchor=\"end\">\(escape(name))</text>")
            parts.append("<text transform=\"translate(\(f(c + 3)),\(f(margin - 4))) rotate(-60)\">\(escape(name))</text>")
        }
        for s in 0..<n {
            for d in 0..<n {
                let b = bytes[s * n + d]
                // Square root keeps light traffic visible next to a hot pair.
                let level = peak > 0 ? (b / peak).squareRoot() : 0
                let shade = Int(255 - 200 * level), blue = Int(255 - 80 * level)
                let fill = b > 0 ? "rgb(\(shade),\(shade),\(blue))" : "#fafafa"
                parts.append("<rect x=\"\(f(margin + Double(d) * cell))\" y=\"\(f(margin + Double(s) * cell))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"\(fill)\"><title>\(escape(names[s])) → \(escape(names[d])): \(String(format: "%.2f MiB", b / 1_048_576))</title></rect>")
            }
        }
        parts.append("<text x=\"0\" y=\"12\">peak \(String(format: "%.2f MiB", peak / 1_048_576)) \(escape(caption))</text>")
        // Column labels lean right past the last column.
        let width = size + 60
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(size))\" viewBox=\"0 0 \(f(width)) \(f(size))\">\(parts.joined())</svg>"
    }
}
