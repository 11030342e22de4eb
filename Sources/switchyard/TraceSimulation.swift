import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardReport
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardTraffic
import SwitchyardCore

/// `--routing` as given: a generated distribution, uniform routing limited to M nodes a token, or
/// the trace a real run recorded.
enum RoutingArgument: ExpressibleByArgument {
    case distribution(RoutingDistribution)
    case nodeLimited(Int)
    case trace(String)

    init?(argument: String) {
        if argument.hasPrefix("node-limited:") {
            guard let m = Int(argument.dropFirst("node-limited:".count)), m >= 1 else { return nil }
            self = .nodeLimited(m)
        } else if argument.hasPrefix("trace:") {
            let file = String(argument.dropFirst("trace:".count))
            guard !file.isEmpty else { return nil }
            self = .trace(file)
        } else if let distribution = RoutingDistribution(argument: argument) {
            self = .distribution(distribution)
        } else { return nil }
    }

    /// The argument as typed, for --help's default ("uniform", not "distribution(uniform)").
    var defaultValueDescription: String {
        switch self {
        case let .distribution(d): d.description
        case let .nodeLimited(m): "node-limited:\(m)"
        case let .trace(file): "trace:\(file)"
        }
    }
}

/// `simulate --routing trace:FILE`: a run's recorded dispatches and combines, with their bytes,
/// timed on a topology, the coordinator and hosts on the devices their cluster file named. Only
/// the exchange is timed: the trace holds what moved, not what each device computed.
struct TraceSimulation {
    let file: String
    let topology: Topology
    let json: String?
    /// The run's model and weight format: the hosts' expert work between dispatch and combine.
    let footprint: ModelFootprint

    func run() throws {
        var url = URL(fileURLWithPath: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SimulatorInputError(description: "--routing trace:\(file): \(url.path) does not exist; give a run's traffic.jsonl or its run directory")
        }
        if isDirectory.boolValue { url = url.appendingPathComponent("traffic.jsonl") }
        let ledger = try TrafficRun.load(url.deletingLastPathComponent(), main: url.lastPathComponent)
        let c = ledger.context
        for (role, device) in [("coordinator", c.coordinatorDevice)] + c.hostDevices.enumerated().map({ ("hosts[\($0.offset)]", $0.element) })
        where !topology.devices.contains(where: { $0.node == device.node && $0.localIndex == device.gpu }) {
            throw SimulatorInputError(description: "\(url.path): \(role) stands for node \(device.node) gpu \(device.gpu), which \(topology.name) (\(topology.devices.count) GPUs) does not have")
        }
        let config = footprint.config
        // The hosts' expert work needs the run's model; another --model times the exchange alone.
        let matches = config.hiddenSize == c.hidden && config.nRoutedExperts == c.experts
        let work = matches ? TraceExpertWork(flopsPerSlot: 2 * Double(footprint.perExpertParameters), bytesPerExpert: footprint.perExpertBytes,
                                             expertsPerHost: Double(c.experts) / Double(c.hosts), format: footprint.weights.computeFormat,
                                             sharedFlopsPerToken: 2 * Double(footprint.sharedExpertParametersPerLayer), sharedBytes: footprint.sharedExpertBytesPerLayer,
                                             expertsPerToken: config.numExpertsPerTok) : nil
        let unmatched = matches ? nil
            : "the run had hidden \(c.hidden) and \(c.experts) experts, --model \(config.hiddenSize) and \(config.nRoutedExperts): the exchange alone is timed, without the hosts' expert compute"
        let measuredSpan = matches ? TrafficSummary(ledger).exchangeTime?.seconds : nil
        // Each exchange's idle gap from the run's own times: exchanges after one wait for their processes to wake.
        let projection = TraceProjection(messages: RunFiles.traceMessages(ledger, topology: topology)!, topology: topology, expertWork: work,
                                         idleBefore: ExchangeSpans(ledger.records).idleSecondsBefore)
        let measured = measuredSpan
        let steps = max(1, Set(ledger.records.map(\.step)).count)
        let layers = projection.layerBytes.keys.sorted()
        // Per step, the prediction beside the measured spans: where a prediction misses shows by step (prefill or decode).
        let stepOf = Dictionary(ledger.records.map { ($0.exchange, Int($0.step)) }, uniquingKeysWith: { first, _ in first })
        let spans = ExchangeSpans(ledger.records).spans
        var perStep: [Int: (predicted: Double, measured: Double)] = [:]
        for (id, seconds) in projection.exchangeSeconds {
            guard let step = stepOf[id], let span = spans[id], span.first != .max, span.last > span.first else { continue }
            perStep[step, default: (0, 0)].predicted += seconds
            perStep[step, default: (0, 0)].measured += Double(span.last - span.first) * 1e-9
        }
        let object: [String: Any] = [
            "trace": url.path, "topology": topology.name, "steps": steps,
            "dispatch_seconds_per_step": projection.dispatchSeconds / Double(steps), "combine_seconds_per_step": projection.combineSeconds / Double(steps),
            "busiest_port": projection.busiestPort ?? NSNull(),
            "expert_compute_seconds_per_step": projection.expertComputeSeconds / Double(steps),
            "wake_up_seconds_per_step": projection.wakeUpSeconds / Double(steps),
            "in_flight_seconds": projection.inFlightSeconds, "measured_in_flight_seconds": measured ?? NSNull(),
            "ratio": measured.map { projection.inFlightSeconds / $0 } ?? NSNull(),
            "layers": layers.map { ["layer": $0, "bytes": projection.layerBytes[$0]!] },
            "per_step": matches ? perStep.keys.sorted().map { ["step": $0, "predicted_seconds": perStep[$0]!.predicted, "measured_seconds": perStep[$0]!.measured,
                                                               "dispatch_seconds": projection.stepSeconds[$0]?.dispatch ?? 0, "combine_seconds": projection.stepSeconds[$0]?.combine ?? 0,
                                                               "expert_compute_seconds": projection.computeSeconds[$0] ?? 0, "wake_up_seconds": projection.wakeSeconds[$0] ?? 0] } : [],
            "expert_compute_omitted": unmatched ?? NSNull(),
        ]
        if try JSONOption.write(object, to: json) { return }
        print("\(url.path): \(Plural.count(ledger.records.count, "message")) of \(Plural.count(c.hosts, "expert host")) over \(Plural.count(steps, "step")), timed on \(topology.name)")
        if let unmatched { print("note: \(unmatched)") }
        print(Table(header: ["measure", "value"], rows: [
            ["dispatch per step", Format.seconds(projection.dispatchSeconds / Double(steps))],
            ["combine per step", Format.seconds(projection.combineSeconds / Double(steps))],
            ["expert compute per step", Format.seconds(projection.expertComputeSeconds / Double(steps))],
            ["wake-up per step", Format.seconds(projection.wakeUpSeconds / Double(steps))],
            ["busiest port", projection.busiestPort ?? "none: every message stays on its device"],
        ], rightAligned: [1]).render())
        // The run's "exchanges in flight" (first dispatch sent → last combine received, summed over
        // exchanges) against the same span predicted: wake-up + dispatch + expert compute + combine.
        if let measured {
            print(Self.comparison("exchanges in flight", predicted: projection.inFlightSeconds, measured: measured))
        }
        print("")
        print(Table(header: ["layer", "bytes replayed"], rows: layers.map { [String($0), Format.bytes(projection.layerBytes[$0]!)] }, rightAligned: [0, 1]).render())
    }
}

extension TraceSimulation {
    /// "NAME: predicted X ms, measured Y ms, ratio R (within ±25%: yes)", the line benches print.
    static func comparison(_ name: String, predicted: Double, measured: Double) -> String {
        let ratio = predicted / measured
        return String(format: "%@: predicted %.2f ms, measured %.2f ms, ratio %.2f (within ±25%%: %@)",
                      name, predicted * 1e3, measured * 1e3, ratio, abs(ratio - 1) <= 0.25 ? "yes" : "no")
    }
}
