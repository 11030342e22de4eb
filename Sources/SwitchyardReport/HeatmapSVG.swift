import Foundation

/// A device × device grid shaded by the bytes sent from the row's device to the column's, with a
/// colour scale under it that says what the shades are in bytes.
struct HeatmapSVG {
    var names: [String]
    var bytes: [Double]
    /// What the peak is counted over.
    var caption = "per step"
    /// Largest cell side, in pixels: small multiples pass less.
    var cellLimit = 28.0

    /// Square root keeps light traffic visible next to a hot pair.
    static func level(_ b: Double, peak: Double) -> Double { peak > 0 ? (b / peak).squareRoot() : 0 }

    var legendTitle: String { "colour: bytes \(caption), square-root scale" }

    static func fill(level: Double) -> String {
        let shade = Int(255 - 200 * level), blue = Int(255 - 80 * level)
        return "rgb(\(shade),\(shade),\(blue))"
    }

    func render() -> String {
        let n = names.count
        let cell = max(8.0, min(cellLimit, 640.0 / Double(max(1, n))))
        let margin = 110.0, grid = margin + cell * Double(n) + 10
        let peak = bytes.max() ?? 0
        // Column labels lean right past the last column; the scale needs its own width.
        let legendWidth = 180.0
        let width = max(grid + 60, margin + legendWidth + 40, ChartAxis.width(legendTitle) + 10)
        var parts: [String] = []
        for (i, name) in names.enumerated() {
            let c = margin + (Double(i) + 0.5) * cell
            parts.append("<text x=\"\(f(margin - 4))\" y=\"\(f(c + 3))\" text-anchor=\"end\">\(escape(name))</text>")
            parts.append("<text transform=\"translate(\(f(c + 3)),\(f(margin - 4))) rotate(-60)\">\(escape(name))</text>")
        }
        for s in 0..<n {
            for d in 0..<n {
                let b = bytes[s * n + d]
                let fill = b > 0 ? Self.fill(level: Self.level(b, peak: peak)) : "#fafafa"
                parts.append("<rect x=\"\(f(margin + Double(d) * cell))\" y=\"\(f(margin + Double(s) * cell))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"\(fill)\"><title>\(escape(names[s])) → \(escape(names[d])): \(String(format: "%.2f MiB", b / 1_048_576))</title></rect>")
            }
        }
        parts.append("<text x=\"0\" y=\"12\">peak \(SwitchyardReport.bytes(Int(peak))) \(escape(caption))</text>")
        let (legend, legendHeight) = legend(peak: peak, x: margin, y: grid + 4, width: legendWidth, limit: width)
        parts.append(legend)
        let height = grid + 4 + legendHeight
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\(parts.joined())</svg>"
    }

    /// The colour scale: swatches from nothing to the peak, ticks at round byte counts placed on
    /// the same square-root scale as the cells.
    func legend(peak: Double, x: Double, y: Double, width: Double, limit: Double) -> (String, Double) {
        var parts = ["<g class=\"legend\">"]
        let swatches = 24, swatch = width / Double(swatches)
        for i in 0..<swatches {
            let level = (Double(i) + 0.5) / Double(swatches)
            parts.append("<rect x=\"\(f(x + Double(i) * swatch))\" y=\"\(f(y))\" width=\"\(f(swatch + 0.2))\" height=\"10\" fill=\"\(Self.fill(level: level))\"/>")
        }
        // From the largest down: the square root crowds the top ticks together, and a label that
        // would touch the one to its right is left out (its tick stays).
        var leftmost = Double.infinity
        for (value, label) in (peak > 0 ? ChartAxis.byteTicks(upTo: peak) : [(0, "0 B")]).reversed() {
            let tx = x + width * Self.level(value, peak: peak)
            parts.append("<line x1=\"\(f(tx))\" x2=\"\(f(tx))\" y1=\"\(f(y + 10))\" y2=\"\(f(y + 13))\" stroke=\"#666\"/>")
            let lx = ChartAxis.fit(label, at: tx, within: limit), half = ChartAxis.width(label) / 2
            guard lx + half + 4 <= leftmost else { continue }
            leftmost = lx - half
            parts.append("<text x=\"\(f(lx))\" y=\"\(f(y + 24))\" text-anchor=\"middle\">\(label)</text>")
        }
        parts.append("<text x=\"0\" y=\"\(f(y + 38))\">\(escape(legendTitle))</text>")
        parts.append("</g>")
        return (parts.joined(), 44)
    }
}
