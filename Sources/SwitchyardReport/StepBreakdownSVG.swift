import Foundation

/// One stacked bar per step: expert work on the hosts, the rest of the exchange (wire, queues,
/// encoding), and everything else the coordinator does (attention, router, shared expert, head).
struct StepBreakdownSVG {
    struct Step {
        var step: Int
        var seconds: Double
        var exchangeSeconds: Double
        var hostSeconds: Double
    }

    static let parts: [(String, String)] = [("hosts computing experts", "#59a14f"), ("exchange: wire and waiting", "#f28e2b"), ("coordinator compute", "#4e79a7")]

    var steps: [Step]

    func render() -> String {
        let left = 60.0, width = 1160.0, height = 220.0, bottom = 20.0
        let peak = steps.map(\.seconds).max() ?? 0
        let bar = (width - left - 10) / Double(max(1, steps.count))
        var parts: [String] = []
        for (i, s) in steps.enumerated() {
            let host = min(s.hostSeconds, s.exchangeSeconds), wire = max(0, s.exchangeSeconds - host)
            let other = max(0, s.seconds - s.exchangeSeconds)
            var y = height - bottom
            for (k, value) in [host, wire, other].enumerated() {
                let h = peak > 0 ? (height - bottom - 10) * value / peak : 0
                y -= h
                parts.append("<rect x=\"\(f(left + Double(i) * bar))\" y=\"\(f(y))\" width=\"\(f(max(0.5, bar - 1)))\" height=\"\(f(h))\" fill=\"\(Self.parts[k].1)\"><title>step \(s.step): \(Self.parts[k].0) \(String(format: "%.3f ms", value * 1e3)) of \(String(format: "%.3f ms", s.seconds * 1e3))</title></rect>")
            }
        }
        parts.append("<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(height - bottom))\" y2=\"\(f(height - bottom))\" stroke=\"#999\"/>")
        parts.append("<text x=\"0\" y=\"14\">\(String(format: "%.2f ms", peak * 1e3))</text><text x=\"0\" y=\"\(f(height - bottom))\">0</text>")
        parts.append("<text x=\"\(f(left))\" y=\"\(f(height - 4))\">step 0</text><text x=\"\(f(width - 10))\" y=\"\(f(height - 4))\" text-anchor=\"end\">step \(max(0, steps.count - 1))</text>")
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\(parts.joined())</svg>"
    }
}
