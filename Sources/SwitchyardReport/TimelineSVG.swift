import Foundation
import SwitchyardSimulator

/// One step's tasks as bars on their lanes, one sub-row per micro-batch.
struct TimelineSVG {
    var tasks: [TimelineTask]
    var stepSeconds: Double
    var microBatches: Int

    static func color(_ kind: StageKind) -> String {
        switch kind {
        case .attention: "#4e79a7"
        case .routing: "#9c755f"
        case .shared: "#76b7b2"
        case .dispatch: "#f28e2b"
        case .experts: "#59a14f"
        case .combine: "#e15759"
        case .head: "#b07aa1"
        }
    }

    func render() -> String {
        let lanes = Lane.allCases.filter { lane in tasks.contains { $0.lane == lane } }
        let left = 110.0, width = 1160.0, rowHeight = 16.0, laneGap = 8.0
        let laneHeight = rowHeight * Double(microBatches) + laneGap
        let height = laneHeight * Double(lanes.count) + 30
        let scale = stepSeconds > 0 ? (width - left - 10) / stepSeconds : 0
        var parts: [String] = []
        for (i, lane) in lanes.enumerated() {
            let y = Double(i) * laneHeight
            parts.append("<text x=\"0\" y=\"\(f(y + rowHeight * Double(microBatches) / 2 + 4))\">\(lane.label)</text>")
            parts.append("<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(y + laneHeight - laneGap / 2))\" y2=\"\(f(y + laneHeight - laneGap / 2))\" stroke=\"#eee\"/>")
        }
        for task in tasks where task.duration > 0 {
            guard let laneIndex = lanes.firstIndex(of: task.lane) else { continue }
            let y = Double(laneIndex) * laneHeight + Double(task.microBatch) * rowHeight
            let x = left + task.start * scale, w = max(0.5, task.duration * scale)
            let label = "\(task.kind.rawValue), layer \(task.layer), micro-batch \(task.microBatch): \(String(format: "%.1f µs", task.duration * 1e6)) from \(String(format: "%.1f µs", task.start * 1e6))"
            parts.append("<rect x=\"\(f(x))\" y=\"\(f(y + 1))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 2))\" fill=\"\(Self.color(task.kind))\"><title>\(label)</title></rect>")
        }
        let axisY = laneHeight * Double(lanes.count) + 14
        for tick in 0...5 {
            let t = stepSeconds * Double(tick) / 5, x = left + t * scale
            parts.append("<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"0\" y2=\"\(f(axisY - 10))\" stroke=\"#ccc\" stroke-dasharray=\"2,3\"/>")
            // Centred on its tick, moved in where that would cross the picture's edge.
            let label = String(format: "%.2f ms", t * 1e3)
            parts.append("<text x=\"\(f(ChartAxis.fit(label, at: x, within: width)))\" y=\"\(f(axisY))\" text-anchor=\"middle\">\(label)</text>")
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\(parts.joined())</svg>"
    }
}

func f(_ x: Double) -> String { String(format: "%.1f", x) }
