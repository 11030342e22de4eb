import Foundation

/// Tokens per expert, one row of bars per layer, each row scaled to its own busiest expert. Under
/// the rows an expert axis and, when the placement is known, a host axis: the bars are grouped by
/// the host that holds each expert, with a line at every host boundary.
struct ExpertLoadSVG {
    /// (layer, tokens per expert).
    var layers: [(Int, [Int])]
    /// The host holding each expert (its first replica's); nil when the run's placement is unknown.
    var hostOfExpert: [Int]? = nil

    func render() -> String {
        let left = 70.0, width = 1160.0, rowHeight = 46.0, gap = 10.0
        let experts = layers.map(\.1.count).max() ?? 1
        let bar = (width - left - 10) / Double(max(1, experts))
        let hosts = hostOfExpert.flatMap { $0.count == experts ? $0 : nil }
        // Bars in host order (stable: experts keep their order within a host).
        let order = hosts.map { h in (0..<experts).sorted { (h[$0], $0) < (h[$1], $1) } } ?? Array(0..<experts)
        var position = [Int](repeating: 0, count: experts)
        for (slot, expert) in order.enumerated() { position[expert] = slot }
        var parts: [String] = []
        for (row, (layer, tokens)) in layers.enumerated() {
            let top = Double(row) * (rowHeight + gap), peak = tokens.max() ?? 0
            let mean = Double(tokens.reduce(0, +)) / Double(max(1, tokens.count))
            parts.append("<text x=\"0\" y=\"\(f(top + rowHeight / 2))\">layer \(layer)</text>")
            parts.append("<text x=\"0\" y=\"\(f(top + rowHeight / 2 + 13))\">max \(peak)</text>")
            for (e, n) in tokens.enumerated() where n > 0 && e < experts {
                let h = peak > 0 ? rowHeight * Double(n) / Double(peak) : 0
                let host = hosts.map { ", host \($0[e])" } ?? ""
                parts.append("<rect x=\"\(f(left + Double(position[e]) * bar))\" y=\"\(f(top + rowHeight - h))\" width=\"\(f(max(0.5, bar - 0.5)))\" height=\"\(f(h))\" fill=\"#59a14f\"><title>layer \(layer), expert \(e)\(host): \(n) tokens</title></rect>")
            }
            if peak > 0 {
                let y = top + rowHeight - rowHeight * mean / Double(peak)
                parts.append("<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#e15759\" stroke-dasharray=\"3,2\"><title>mean \(String(format: "%.1f", mean)) tokens</title></line>")
            }
        }
        let rowsBottom = Double(layers.count) * (rowHeight + gap)
        // Expert axis: the expert ids of evenly spaced bars.
        var axisY = rowsBottom + 4
        parts.append("<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(axisY))\" y2=\"\(f(axisY))\" stroke=\"#999\"/>")
        parts.append("<text x=\"0\" y=\"\(f(axisY + 12))\">expert</text>")
        let every = max(1, Int((Double(experts) / 16).rounded(.up)))
        for slot in stride(from: 0, to: experts, by: every) {
            let x = left + (Double(slot) + 0.5) * bar, label = String(order[slot])
            parts.append("<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(axisY))\" y2=\"\(f(axisY + 3))\" stroke=\"#999\"/>")
            parts.append("<text x=\"\(f(ChartAxis.fit(label, at: x, within: width)))\" y=\"\(f(axisY + 14))\" text-anchor=\"middle\">\(label)</text>")
        }
        axisY += 18
        if let hosts {
            // Host axis: a bracket per host under its experts, and a line through every row where one host's experts end.
            parts.append("<text x=\"0\" y=\"\(f(axisY + 12))\">host</text>")
            var start = 0
            while start < experts {
                let host = hosts[order[start]]
                var end = start
                while end + 1 < experts, hosts[order[end + 1]] == host { end += 1 }
                let x0 = left + Double(start) * bar, x1 = left + Double(end + 1) * bar
                if start > 0 {
                    parts.append("<line class=\"host-boundary\" x1=\"\(f(x0))\" x2=\"\(f(x0))\" y1=\"0\" y2=\"\(f(axisY + 4))\" stroke=\"#555\" stroke-dasharray=\"4,3\"/>")
                }
                parts.append("<line x1=\"\(f(x0 + 1))\" x2=\"\(f(x1 - 1))\" y1=\"\(f(axisY + 2))\" y2=\"\(f(axisY + 2))\" stroke=\"#555\"/>")
                let label = x1 - x0 >= ChartAxis.width("host \(host)") + 4 ? "host \(host)" : String(host)
                if x1 - x0 >= ChartAxis.width(label) {
                    parts.append("<text x=\"\(f(ChartAxis.fit(label, at: (x0 + x1) / 2, within: width)))\" y=\"\(f(axisY + 14))\" text-anchor=\"middle\">\(label)</text>")
                }
                start = end + 1
            }
            axisY += 18
        }
        let height = max(1, axisY + 4)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\(parts.joined())</svg>"
    }
}
