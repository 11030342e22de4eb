import SwitchyardLaunch
import SwitchyardSimulator

/// The simulator's result as tables and as JSON.
struct SimulationText {
    var result: SimulationResult
    var deployment: Deployment

    var summaryRows: [(String, String)] {
        let r = result
        var rows: [(String, String)] = [("step time", Format.seconds(r.meanStepSeconds)
            + (r.stepSeconds.count > 1 ? " (min \(Format.seconds(r.stepSeconds.min()!)), max \(Format.seconds(r.stepSeconds.max()!)) over \(r.stepSeconds.count) steps)" : ""))]
        rows.append(("tokens/s", String(format: "%.0f per step's batch, %.0f per GPU", r.tokensPerSecond, r.tokensPerSecondPerGPU)))
        if let tpot = r.timePerOutputToken { rows.append(("time per output token", Format.seconds(tpot))) }
        rows.append(("expert exchange", "\(Format.percent(r.exchangeShare)) of the step has a dispatch or combine in flight"))
        rows.append(("bottleneck", r.bottleneck))
        return rows
    }

    func render() -> String {
        let r = result
        var out: [String] = []
        out.append(KeyValueList.render(summaryRows))
        out.append("")
        out.append(Table(header: ["stage", "busy per step", "share of step"], rows: StageKind.allCases.map { k in
            let s = r.stageSeconds[k] ?? 0
            return [k.rawValue, Format.seconds(s), Format.percent(s / r.meanStepSeconds)]
        }, rightAligned: [1, 2]).render())
        out.append("")
        out.append(Table(header: ["exchange", "time per step", "latency part", "max sent per GPU", "mean sent per GPU", "busiest link", "its bandwidth"],
                         rows: [("dispatch", r.dispatch), ("combine", r.combine)].map { name, x in
            let sent = x.bytesSentPerDevice
            return [name, Format.seconds(x.seconds), Format.seconds(x.latencySeconds), Format.bytes(sent.max() ?? 0),
                    Format.bytes(sent.reduce(0, +) / Double(max(1, sent.count))), x.busiestPort.map { r.ports[$0].name } ?? "–",
                    Format.rate(x.busiestPortBandwidth)]
        }, rightAligned: [1, 2, 3, 4, 6]).render())
        out.append("")
        out.append(Table(header: ["device", "role", "busy", "sent (dispatch)", "sent (combine)"], rows: r.deviceNames.indices.map { d in
            [r.deviceNames[d], deployment.role(of: d), Format.percent(r.busyShare(d)),
             Format.bytes(r.dispatch.bytesSentPerDevice[d]), Format.bytes(r.combine.bytesSentPerDevice[d])]
        }, rightAligned: [2, 3, 4]).render())
        out.append("")
        let links = r.ports.indices.map { ($0, r.dispatch.portBytes[$0] + r.combine.portBytes[$0]) }.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }
        out.append(Table(header: ["link (busiest 10 of \(links.count) used)", "bytes per step", "busy per step"], rows: links.prefix(10).map { p, bytes in
            [r.ports[p].name, Format.bytes(bytes), Format.seconds(bytes / r.ports[p].capacity)]
        }, rightAligned: [1, 2]).render())
        return out.joined(separator: "\n")
    }

    func jsonObject(title: String) -> [String: Any] {
        let r = result
        func exchange(_ x: ExchangeSummary) -> [String: Any] {
            ["seconds": x.seconds, "latency_seconds": x.latencySeconds, "bytes_sent_per_device": x.bytesSentPerDevice,
             "busiest_link": x.busiestPort.map { r.ports[$0].name } ?? "", "busiest_link_bandwidth_bytes_per_second": x.busiestPortBandwidth]
        }
        var object: [String: Any] = [
            "title": title, "phase": r.options.phase.rawValue, "batch": r.options.batch, "context": r.options.context,
            "step_seconds": r.meanStepSeconds, "step_seconds_each": r.stepSeconds, "tokens_per_second": r.tokensPerSecond,
            "tokens_per_second_per_gpu": r.tokensPerSecondPerGPU, "exchange_share": r.exchangeShare, "bottleneck": r.bottleneck,
            "breakdown_seconds": Dictionary(uniqueKeysWithValues: StageKind.allCases.map { ($0.rawValue, r.stageSeconds[$0] ?? 0) }),
            "dispatch": exchange(r.dispatch), "combine": exchange(r.combine),
            "devices": r.deviceNames.indices.map { d in
                ["name": r.deviceNames[d], "role": deployment.role(of: d), "busy_share": r.busyShare(d)] as [String: Any]
            },
            "links": r.ports.indices.map { p in
                ["name": r.ports[p].name, "kind": r.ports[p].kind.rawValue, "capacity_bytes_per_second": r.ports[p].capacity,
                 "dispatch_bytes": r.dispatch.portBytes[p], "combine_bytes": r.combine.portBytes[p]] as [String: Any]
            },
        ]
        if let tpot = r.timePerOutputToken { object["time_per_output_token_seconds"] = tpot }
        return object
    }
}
