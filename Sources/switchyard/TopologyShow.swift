import SwitchyardCore
import Foundation
import SwitchyardLaunch
import ArgumentParser
import SwitchyardTopology

struct TopologyShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a readable summary of a topology file with totals.",
        discussion: "Example: switchyard topology show hgx-h100-x4"
    )

    @Argument(help: "A topology file or a preset's name.") var file: String
    @Option(help: JSONOption.help) var json: String?

    func run() throws {
        let t = try TopologyArgument.load(file)
        if try JSONOption.write(Self.jsonObject(t), to: json) { return }
        print("\(t.name): \(t.description)")
        print("")
        let models = t.gpuModels.values.sorted { $0.name < $1.name }
        print(Table(header: ["GPU model", "memory", "HBM", "bf16", "fp8", "fp4"], rows: models.map { m in
            [m.name, Format.bytes(m.memoryBytes), String(format: "%.2f TB/s", m.hbmBytesPerSecond / 1e12)]
                + NumberFormat.allCases.map { f in m.denseFLOPS[f].map { String(format: "%.0f TFLOPS", $0 / 1e12) } ?? "–" }
        }, rightAligned: [1, 2, 3, 4, 5]).render())
        print("")
        print(Table(header: ["node", "GPU model", "GPUs"], rows: t.nodes.map {
            [$0.name, $0.gpuModel, "\($0.gpuNames.count): \($0.gpuNames.joined(separator: " "))"]
        }).render())
        print("")
        let up = t.scaleUp
        var lines: [(String, String)] = [
            ("scale-up", "\(up.name): \(Format.rate(up.bytesPerSecondEachWay)) each way per GPU, \(Format.seconds(up.latencySeconds)), "
                + (up.switched ? (up.nonBlocking ? "switched, non-blocking" : "switched, blocking (\(Format.rate(up.aggregateBytesPerSecond ?? 0)) per node)") : "direct mesh")
                + Self.costs(up.costs)),
        ]
        if !up.wakeUp.points.isEmpty {
            lines.append(("wake-up", up.wakeUp.points.map { p in
                "after \(Format.seconds(p.idleSeconds)) idle \(Format.seconds(p.latencySeconds)) + \(Format.seconds(p.messageSeconds)) a message"
            }.joined(separator: "; ")))
        }
        if let net = t.scaleOut {
            lines.append(("scale-out", "\(net.name): \(net.nicCount) × \(String(format: "%.0f Gb/s", net.bytesPerSecondPerNIC * 8 / 1e9)) per \(net.attachment == .gpu ? "GPU" : "node"), "
                          + "\(Format.seconds(net.latencySeconds)), \(net.railOptimized ? "rail-optimized" : "not rail-optimized")" + Self.costs(net.costs)))
        } else {
            lines.append(("scale-out", "none"))
        }
        let a = t.achievable
        lines.append(("achievable", String(format: "compute %.0f%%, HBM %.0f%%, scale-up %.0f%%, scale-out %.0f%% of peak",
                                           100 * a.compute, 100 * a.hbm, 100 * a.scaleUp, 100 * a.scaleOut)))
        // Memory in GiB, as the GPU table above and `plan` print it; rates in decimal GB/s and TB/s.
        lines.append(("totals", "\(Plural.count(t.nodes.count, "node")), \(Plural.count(t.devices.count, "GPU")), \(Format.bytes(t.totalMemoryBytes)) memory, "
                      + String(format: "%.1f TB/s HBM, %.1f PFLOPS bf16, %.1f PFLOPS fp8", t.totalHBMBytesPerSecond / 1e12,
                               t.totalPeakFLOPS(.bf16) / 1e15, t.totalPeakFLOPS(.fp8) / 1e15)
                      + (t.totalPeakFLOPS(.fp4) > 0 ? String(format: ", %.1f PFLOPS fp4", t.totalPeakFLOPS(.fp4) / 1e15) : "")))
        if let net = t.scaleOut, t.nodes.count > 1 {
            let perNode = Double(net.nicCount) * net.bytesPerSecondPerNIC * Double(net.attachment == .gpu ? t.gpuCount(node: 0) : 1)
            lines.append(("network per node", Format.rate(perNode) + " each way"))
        }
        print(KeyValueList.render(lines))
    }

    static func jsonObject(_ t: Topology) -> [String: Any] {
        func costs(_ c: TransferCosts) -> [String: Any] { ["message_seconds": c.messageSeconds, "token_seconds": c.tokenSeconds] }
        let up = t.scaleUp
        var scaleUp: [String: Any] = ["name": up.name, "bytes_per_second_each_way": up.bytesPerSecondEachWay, "latency_seconds": up.latencySeconds,
                                      "switched": up.switched, "non_blocking": up.nonBlocking, "costs": costs(up.costs)]
        if let aggregate = up.aggregateBytesPerSecond { scaleUp["aggregate_bytes_per_second"] = aggregate }
        if !up.wakeUp.points.isEmpty {
            scaleUp["wake_up"] = up.wakeUp.points.map { ["idle_seconds": $0.idleSeconds, "latency_seconds": $0.latencySeconds, "message_seconds": $0.messageSeconds] }
        }
        let scaleOut: Any = t.scaleOut.map { net -> [String: Any] in
            ["name": net.name, "attachment": net.attachment == .gpu ? "gpu" : "node", "nic_count": net.nicCount,
             "bytes_per_second_per_nic": net.bytesPerSecondPerNIC, "latency_seconds": net.latencySeconds,
             "rail_optimized": net.railOptimized, "costs": costs(net.costs)]
        } ?? NSNull()
        let a = t.achievable
        return [
            "name": t.name, "description": t.description,
            "gpu_models": t.gpuModels.values.sorted { $0.name < $1.name }.map { m -> [String: Any] in
                ["name": m.name, "memory_bytes": m.memoryBytes, "hbm_bytes_per_second": m.hbmBytesPerSecond,
                 "dense_flops_per_second": Dictionary(uniqueKeysWithValues: m.denseFLOPS.map { ($0.key.rawValue, $0.value) })]
            },
            "nodes": t.nodes.map { ["name": $0.name, "gpu_model": $0.gpuModel, "gpus": $0.gpuNames] as [String: Any] },
            "scale_up": scaleUp, "scale_out": scaleOut,
            "achievable": ["compute": a.compute, "hbm": a.hbm, "scale_up": a.scaleUp, "scale_out": a.scaleOut],
            "gpus": t.devices.count, "total_memory_bytes": t.totalMemoryBytes, "total_hbm_bytes_per_second": t.totalHBMBytesPerSecond,
            "total_peak_flops_per_second": Dictionary(uniqueKeysWithValues: NumberFormat.allCases.map { ($0.rawValue, t.totalPeakFLOPS($0)) }),
        ]
    }

    /// ", 25 ns a message, 1 µs a token" for the costs that are set.
    static func costs(_ c: TransferCosts) -> String {
        func ns(_ s: Double) -> String { String(format: "%.0f ns", s * 1e9) }
        return (c.messageSeconds > 0 ? ", \(ns(c.messageSeconds)) a message" : "") + (c.tokenSeconds > 0 ? ", \(ns(c.tokenSeconds)) a token" : "")
    }
}
