import Foundation

/// One stacked bar per step: expert work on the hosts, the rest of the exchange (wire, queues,
/// encoding), and everything else the coordinator does (attention, router, shared expert, head).
/// Steps that processed prompt tokens (prefill) get a panel and a time scale of their own, so one
/// long prefill step does not flatten every decode step; each panel has a time axis and step axis.
struct StepBreakdownSVG {
    struct Step {
        var step: Int
        var seconds: Double
        var exchangeSeconds: Double
        var hostSeconds: Double
        var promptTokens = 0
    }

    static let parts: [(String, String)] = [("hosts computing experts", "#59a14f"), ("exchange: wire and waiting", "#f28e2b"), ("coordinator compute", "#4e79a7")]

    var steps: [Step]

    static let width = 1160.0, left = 70.0, plotHeight = 150.0

    func render() -> String {
        let prefill = steps.filter { $0.promptTokens > 0 }, decode = steps.filter { $0.promptTokens == 0 }
        var panels: [(id: String, title: String, steps: [Step])] = []
        if !prefill.isEmpty { panels.append(("prefill", "prefill steps (\(prefill.count), with prompt tokens): time per step", prefill)) }
        if !decode.isEmpty || panels.isEmpty {
            panels.append(("decode", prefill.isEmpty ? "steps: time per step" : "decode steps (\(decode.count)): time per step", decode))
        }
        var parts: [String] = [], top = 0.0
        for panel in panels {
            let (body, height) = render(panel.steps, id: panel.id, title: panel.title, top: top)
            parts.append(body)
            top += height
        }
        let width = Self.width
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(top))\" viewBox=\"0 0 \(f(width)) \(f(top))\">\(parts.joined())</svg>"
    }

    /// One panel: its title, bars, time axis on the left and step axis below; returns its height.
    func render(_ steps: [Step], id: String, title: String, top: Double) -> (String, Double) {
        let width = Self.width, left = Self.left, right = width - 10
        let plotTop = top + 22, plotBottom = plotTop + Self.plotHeight
        let peak = steps.map(\.seconds).max() ?? 0
        let ticks = ChartAxis.ticks(upTo: peak), scaleTop = ticks.last ?? 1
        let bar = min(40, (right - left) / Double(max(1, steps.count)))
        var parts = ["<g class=\"panel-\(id)\">", "<text x=\"0\" y=\"\(f(top + 14))\" font-weight=\"bold\">\(escape(title))</text>"]
        for value in ticks {
            let y = plotBottom - Self.plotHeight * value / scaleTop
            parts.append("<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"\(value == 0 ? "#999" : "#eee")\"/>")
            parts.append("<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(ChartAxis.seconds(value, scale: scaleTop))</text>")
        }
        for (i, s) in steps.enumerated() {
            let host = min(s.hostSeconds, s.exchangeSeconds), wire = max(0, s.exchangeSeconds - host)
            let other = max(0, s.seconds - s.exchangeSeconds)
            var y = plotBottom
            for (k, value) in [host, wire, other].enumerated() {
                let h = Self.plotHeight * value / scaleTop
                y -= h
                let prompt = s.promptTokens > 0 ? ", \(s.promptTokens) prompt tokens" : ""
                parts.append("<rect x=\"\(f(left + Double(i) * bar))\" y=\"\(f(y))\" width=\"\(f(max(0.5, bar - 1)))\" height=\"\(f(h))\" fill=\"\(Self.parts[k].1)\"><title>step \(s.step)\(prompt): \(Self.parts[k].0) \(String(format: "%.3f ms", value * 1e3)) of \(String(format: "%.3f ms", s.seconds * 1e3))</title></rect>")
            }
        }
        // Step axis: the step numbers of evenly spaced bars (a panel's steps need not be consecutive).
        let every = max(1, Int((Double(steps.count) / 12).rounded(.up)))
        for i in stride(from: 0, to: steps.count, by: every) {
            let x = left + (Double(i) + 0.5) * bar, label = String(steps[i].step)
            parts.append("<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(plotBottom))\" y2=\"\(f(plotBottom + 3))\" stroke=\"#999\"/>")
            parts.append("<text x=\"\(f(ChartAxis.fit(label, at: x, within: width)))\" y=\"\(f(plotBottom + 14))\" text-anchor=\"middle\">\(label)</text>")
        }
        parts.append("<text x=\"\(f(right))\" y=\"\(f(plotBottom + 28))\" text-anchor=\"end\">step</text>")
        parts.append("</g>")
        return (parts.joined(), plotBottom + 36 - top)
    }
}
