import Foundation

/// Tokens per expert, one row of bars per layer, each row scaled to its own busiest expert.
struct ExpertLoadSVG {
    /// (layer, tokens per expert).
    var layers: [(Int, [Int])]

    func render() -> String {
        let left = 70.0, width = 1160.0, rowHeight = 46.0, gap = 10.0
        let experts = layers.map(\.1.count).max() ?? 1
        let bar = (width - left - 10) / Double(max(1, experts))
        var parts: [String] = []
        for (row, (layer, tokens)) in layers.enumerated() {
            let top = Double(row) * (rowHeight + gap), peak = tokens.max() ?? 0
            let mean = Double(tokens.reduce(0, +)) / Double(max(1, tokens.count))
            parts.append("<text x=\"0\" y=\"\(f(top + rowHeight / 2))\">layer \(layer)</text>")
            parts.append("<text x=\"0\" y=\"\(f(top + rowHeight / 2 + 13))\">max \(peak)</text>")
            for (e, n) in tokens.enumerated() where n > 0 {
                let h = peak > 0 ? rowHeight * Double(n) / Double(peak) : 0
                parts.append("<rect x=\"\(f(left + Double(e) * bar))\" y=\"\(f(top + rowHeight - h))\" width=\"\(f(max(0.5, bar - 0.5)))\" height=\"\(f(h))\" fill=\"#59a14f\"><title>layer \(layer), expert \(e): \(n) tokens</title></rect>")
            }
            if peak > 0 {
                let y = top + rowHeight - rowHeight * mean / Double(peak)
                parts.append("<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#e15759\" stroke-dasharray=\"3,2\"><title>mean \(String(format: "%.1f", mean)) tokens</title></line>")
            }
        }
        let height = max(1, Double(layers.count) * (rowHeight + gap))
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\(parts.joined())</svg>"
    }
}
