import Foundation
import SwitchyardTraffic

/// report.html's "Faults" section, from summary.json's `faults`: each injected fault with when it
/// happened and how long the coordinator took to notice it and to use the host again, and every
/// host event (lost, failed over, rejoined) on a time axis and in a table. Empty without faults.
struct FaultsSection {
    var faults: RunSummary.Faults?
    /// The workload's length, the time axis's end (it grows to the last event if that is later).
    var runSeconds: Double?

    func render() -> String {
        guard let faults, !faults.injected.isEmpty || !faults.events.isEmpty else { return "" }
        let injected = faults.injected.map { i in
            "<tr><td>\(escape(i.fault))</td><td>host \(i.host)</td><td class=n>\(seconds(i.atSeconds))</td><td class=n>\(i.detectedAfterSeconds.map(seconds) ?? "not detected")</td><td class=n>\(i.recoveredAfterSeconds.map(seconds) ?? "not back")</td></tr>"
        }.joined()
        let events = faults.events.map { e in
            "<tr><td class=n>\(seconds(e.atSeconds))</td><td>host \(e.host)</td><td>\(escape(e.event))</td><td>\(escape(e.detail))</td><td class=n>\(e.resentBytes > 0 ? bytes(e.resentBytes) : "–")</td></tr>"
        }.joined()
        var html = "<h2 id=\"faults\">Faults</h2>\n"
        if !faults.injected.isEmpty {
            html += "<table id=\"faults-injected\"><tr><th>fault</th><th>host</th><th>at</th><th>detected after</th><th>recovered after</th></tr>\(injected)</table>\n"
        }
        if !faults.events.isEmpty {
            html += "<div class=legend>\(FaultTimelineSVG.marks.map { "<span><i style=\"background:\($0.color)\"></i>\($0.label)</span>" }.joined())</div>\n"
            html += "<figure id=\"fault-timeline\">\(FaultTimelineSVG(faults: faults, runSeconds: runSeconds).render())</figure>\n"
            html += "<table id=\"fault-events\"><tr><th>at</th><th>host</th><th>event</th><th>detail</th><th>re-sent</th></tr>\(events)</table>\n"
        }
        return html
    }
}

/// One lane per host with faults or events, seconds from the workload's start across: a mark for
/// each injected fault and each event, its detail in the mark's title.
struct FaultTimelineSVG {
    static let marks: [(kind: String, label: String, color: String)] = [
        ("injected", "fault injected", "#b07aa1"), ("lost", "host lost", "#e15759"),
        ("failed_over", "failed over (pairs re-sent)", "#f28e2b"), ("rejoined", "host rejoined", "#59a14f"),
    ]

    var faults: RunSummary.Faults
    var runSeconds: Double?

    func render() -> String {
        let left = 70.0, width = 1160.0, lane = 28.0, bottom = 22.0
        let hosts = Array(Set(faults.injected.map(\.host) + faults.events.map(\.host))).sorted()
        let last = (faults.injected.map(\.atSeconds) + faults.events.map(\.atSeconds)).filter(\.isFinite).max() ?? 0
        let span = max(runSeconds.flatMap { $0.isFinite ? $0 : nil } ?? 0, last, 1e-3)
        let height = Double(hosts.count) * lane + bottom
        func x(_ s: Double) -> Double { left + (width - left - 10) * min(max(s.isFinite ? s : 0, 0), span) / span }
        func color(_ kind: String) -> String { Self.marks.first { $0.kind == kind }?.color ?? "#999" }
        var parts: [String] = []
        for (row, host) in hosts.enumerated() {
            let y = Double(row) * lane + lane / 2
            parts.append("<text x=\"0\" y=\"\(f(y + 4))\">host \(host)</text>")
            parts.append("<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>")
            for i in faults.injected where i.host == host {
                parts.append("<path d=\"M\(f(x(i.atSeconds))) \(f(y - 8)) l6 12 l-12 0 z\" fill=\"\(color("injected"))\"><title>\(escape(i.fault)) at \(seconds(i.atSeconds))</title></path>")
            }
            for e in faults.events where e.host == host {
                parts.append("<circle cx=\"\(f(x(e.atSeconds)))\" cy=\"\(f(y))\" r=\"5\" fill=\"\(color(e.event))\"><title>\(escape(e.event)) at \(seconds(e.atSeconds)): \(escape(e.detail))</title></circle>")
            }
        }
        let axis = Double(hosts.count) * lane + 4
        parts.append("<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(axis))\" y2=\"\(f(axis))\" stroke=\"#999\"/>")
        parts.append("<text x=\"\(f(left))\" y=\"\(f(height - 4))\">0 s</text><text x=\"\(f(width - 10))\" y=\"\(f(height - 4))\" text-anchor=\"end\">\(seconds(span))</text>")
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\(parts.joined())</svg>"
    }
}

func seconds(_ s: Double) -> String { String(format: "%.3f s", s) }
