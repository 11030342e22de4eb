import SwitchyardSimulator

/// A self-contained HTML page for one simulation: the summary, an SVG timeline of one step and
/// a device-by-device traffic heatmap. No scripts, no external styles or fonts.
public struct HTMLReport {
    public var result: SimulationResult
    public var title: String
    public var summary: [(String, String)]

    public init(result: SimulationResult, title: String, summary: [(String, String)]) {
        self.result = result
        self.title = title
        self.summary = summary
    }

    public func render() -> String {
        let r = result
        let stages = StageKind.allCases.map { k -> String in
            let s = r.stageSeconds[k] ?? 0
            return "<tr><td>\(k.rawValue)</td><td class=n>\(milliseconds(s))</td><td class=n>\(percent(s / r.meanStepSeconds))</td></tr>"
        }.joined()
        let devices = r.deviceNames.indices.map { d in
            "<tr><td>\(escape(r.deviceNames[d]))</td><td class=n>\(percent(r.busyShare(d)))</td><td class=n>\(mebibytes(r.dispatch.bytesSentPerDevice[d]))</td><td class=n>\(mebibytes(r.combine.bytesSentPerDevice[d]))</td></tr>"
        }.joined()
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Switchyard simulation</title>
        <style>\(reportStyle)</style></head><body>
        <h1>\(escape(title))</h1>
        <table>\(summary.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined())</table>
        <h2>Timeline of one step (\(milliseconds(r.stepSeconds.first ?? 0)))</h2>
        <div class=legend>\(StageKind.allCases.map { "<span><i style=\"background:\(TimelineSVG.color($0))\"></i>\($0.rawValue)</span>" }.joined())</div>
        \(TimelineSVG(tasks: r.timeline, stepSeconds: r.stepSeconds.first ?? 0, microBatches: r.options.microBatches.count).render())
        <h2>Traffic per step, bytes from each device (row) to each device (column), dispatch and combine</h2>
        \(HeatmapSVG(names: r.deviceNames, bytes: r.pairBytes).render())
        <h2>Busy time per stage</h2>
        <table><tr><th>stage</th><th>busy per step</th><th>share of step</th></tr>\(stages)</table>
        <h2>Devices</h2>
        <table><tr><th>device</th><th>busy</th><th>dispatch sent</th><th>combine sent</th></tr>\(devices)</table>
        </body></html>

        """
    }
}

/// The reports' one style sheet, inline: no external styles or fonts.
let reportStyle = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1280px}
h1{font-size:18px} h2{font-size:15px;margin-top:28px} h3{font-size:13px;margin:14px 0 4px} figure{margin:8px 0}
table{border-collapse:collapse;font-size:13px} td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums} svg text{font-size:11px;fill:#333}
.legend span{display:inline-block;margin-right:14px;font-size:12px} .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.grid{display:flex;flex-wrap:wrap;gap:12px}
"""

func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

func milliseconds(_ s: Double) -> String { String(format: "%.3f ms", s * 1e3) }
func percent(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }
func mebibytes(_ b: Double) -> String { String(format: "%.2f MiB", b / 1_048_576) }

import Foundation
