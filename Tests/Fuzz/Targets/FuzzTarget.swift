import Foundation
import SwitchyardCluster
import SwitchyardCore
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardReport
import SwitchyardTopology
import SwitchyardTraffic
import SwitchyardWire

/// The untrusted-input readers under fuzzing, each as one function of arbitrary bytes. A
/// refusal (a thrown error) is the expected outcome for most inputs; a trap, a sanitizer report
/// or a failed `check` is a bug. libFuzzer drives these (`make fuzz`), and the tests replay the
/// committed seeds and every crash found through the same functions.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The frame decoder (WireDecoder), as one buffer (MPI) and as three parts (ZeroMQ).
    case wire
    /// A safetensors file's length prefix and JSON header.
    case safetensors
    /// config.json, and everything computed from a config that validated.
    case config
    /// Topology files.
    case topology
    /// Cluster files, and their placement of a model's experts.
    case cluster
    /// A run directory's files (summary.json, traffic.jsonl, traffic-host-K.jsonl) as `traffic`
    /// and `report` read them, and every aggregate and page they derive.
    case rundir

    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .wire: Self.wire(bytes)
        case .safetensors: Self.safetensors(bytes)
        case .config: Self.config(Data(bytes))
        case .topology: Self.topology(Data(bytes))
        case .cluster: Self.cluster(Data(bytes))
        case .rundir: Self.runDirectory(bytes)
        }
    }

    public func run(_ data: Data) {
        data.withUnsafeBytes { run($0) }
    }

    /// A property every accepted input must have; failing it stops the fuzzer with this message.
    static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("fuzz property violated: \(message())") }
    }

    // MARK: Targets

    static let wireLimits = WireLimits(config: ModelPreset.tiny.config, maxTokens: 1024, maxHosts: 64)

    static func wire(_ bytes: UnsafeRawBufferPointer) {
        let decoder = WireDecoder(limits: wireLimits)
        if let frame = try? decoder.decode(contiguous: bytes) {
            // The encoding is canonical: what decodes re-encodes to the same bytes.
            check(frame.encoded().contiguous().elementsEqual(bytes), "a decoded frame re-encodes differently")
        }
        _ = try? decoder.frameLength(header: bytes)
        // The same bytes as ZeroMQ's three parts: a 64-byte header, then metadata of the length
        // the next byte picks, then the rest as payload.
        guard bytes.count > 64 else { return }
        let metadataEnd = min(bytes.count, 65 + Int(bytes[64]) * 8)
        _ = try? decoder.decode(header: UnsafeRawBufferPointer(rebasing: bytes[0..<64]),
                                metadata: UnsafeRawBufferPointer(rebasing: bytes[65..<metadataEnd]),
                                payload: UnsafeRawBufferPointer(rebasing: bytes[metadataEnd...]))
    }

    static func safetensors(_ bytes: UnsafeRawBufferPointer) {
        // As SafetensorsFile reads a file: an 8-byte length, the header, the data region after it.
        guard bytes.count >= 8 else { return }
        let length = bytes.loadUnaligned(as: UInt64.self).littleEndian
        let header: Data, dataSize: Int
        if length <= UInt64(bytes.count - 8) {
            header = Data(bytes[8..<(8 + Int(length))])
            dataSize = bytes.count - 8 - Int(length)
        } else {
            // A length past the end: parse the rest as the header against a data region the
            // length's low bits choose, so offsets near the region's end are reached too.
            header = Data(bytes[8...])
            dataSize = Int(length & 0xFFFF_FFFF)
        }
        guard let parsed = try? SafetensorsHeader.parse(header, dataSize: dataSize, file: "fuzz.safetensors") else { return }
        for tensor in parsed.tensors.values {
            check(tensor.dataOffsets.lowerBound >= 0 && tensor.dataOffsets.upperBound <= dataSize, "tensor \(tensor.name) lies outside the data")
            check(tensor.elementCount >= 0 && tensor.elementCount * tensor.dtype.byteSize == tensor.dataOffsets.count, "tensor \(tensor.name)'s size does not match its offsets")
        }
    }

    static func config(_ data: Data) {
        guard let config = try? ModelConfig.decode(data, file: "fuzz-config.json") else { return }
        // Everything sized or computed from a config that validated: no trap, no NaN.
        let count = ParameterCount(config)
        check(count.total > 0 && count.active <= count.total, "parameter counts \(count.total), \(count.active)")
        let limits = WireLimits(config: config)
        check(limits.largestPartBytes > 0, "wire limits")
        let rotary = RotaryEmbedding(config: config)
        check(rotary.inverseFrequencies.allSatisfy(\.isFinite) && rotary.attentionFactor.isFinite, "rotary frequencies are not finite")
        let scaling = AttentionScaling(config: config)
        check(scaling.softmaxScale.isFinite && scaling.softmaxScale > 0, "softmax scale \(scaling.softmaxScale)")
        check(scaling.queryScale(position: config.maxPositionEmbeddings).isFinite, "llama-4 query scale is not finite")
        let logits = (0..<config.nRoutedExperts).map { Float($0 % 7) - 3 }
        let routing = Router(config: config).select(logits: logits, tokens: 1)
        check(routing.weights.allSatisfy(\.isFinite), "routing weights are not finite")
    }

    static func topology(_ data: Data) {
        // No base directory: a `base` resolves against a folder that does not exist.
        guard let topology = try? Topology.decode(data, file: "fuzz-topology.json", directory: URL(fileURLWithPath: "/nonexistent-switchyard-fuzz")) else { return }
        check(!topology.devices.isEmpty && topology.devices.count <= TopologyBounds.devices.upperBound, "\(topology.devices.count) devices")
        check(topology.totalMemoryBytes.isFinite && topology.totalHBMBytesPerSecond.isFinite, "totals are not finite")
        for format in NumberFormat.allCases { check(topology.totalPeakFLOPS(format).isFinite, "peak \(format) is not finite") }
    }

    static func cluster(_ data: Data) {
        guard let spec = try? ClusterSpec.decode(data, file: "fuzz-cluster.json") else { return }
        check(!spec.hosts.isEmpty && spec.hosts.count <= ClusterSpec.maximumHosts, "\(spec.hosts.count) hosts")
        if let placement = try? spec.placement(experts: 128) {
            check((0..<spec.hosts.count).reduce(0) { $0 + placement.experts(of: $1).count } == 128, "placement loses experts")
        }
    }

    /// The first byte picks the file: 0 summary.json (beside a small ledger), 1 traffic.jsonl
    /// alone, 2 a whole directory, its files split at NUL bytes: traffic.jsonl, summary.json,
    /// then traffic-host-0.jsonl, traffic-host-1.jsonl, … (an empty part is a missing file).
    static func runDirectory(_ bytes: UnsafeRawBufferPointer) {
        guard let kind = bytes.first else { return }
        let rest = Data(bytes.dropFirst())
        switch kind % 3 {
        case 0:
            guard let run = try? RunSummary.decode(rest, file: RunFiles.summary) else { return }
            runDirectory(sampleLedger, run: run)
        case 1:
            guard let ledger = try? RunFiles.ledger(rest, file: "traffic.jsonl", hostFile: { _ in nil }) else { return }
            runDirectory(ledger, run: nil)
        default:
            let parts = rest.split(separator: 0, omittingEmptySubsequences: false).map { Data($0) }
            guard let ledger = try? RunFiles.ledger(parts[0], file: "traffic.jsonl", hostFile: { host in
                parts.indices.contains(host + 2) && !parts[host + 2].isEmpty ? (parts[host + 2], TrafficJSONL.fileName(writer: host)) : nil
            }) else { return }
            let run = parts.count > 1 && !parts[1].isEmpty ? try? RunSummary.decode(parts[1], file: RunFiles.summary) : nil
            runDirectory(ledger, run: run)
        }
    }

    /// What `traffic` prints and `report` writes from a ledger that decoded: every index the
    /// commands take is there, every figure finite, and the ledger writes back as it was read.
    static func runDirectory(_ ledger: TrafficLedger, run: RunSummary?) {
        let summary = TrafficSummary(ledger), names = ledger.context.endpointNames
        check(summary.total.endpoints == names.count && summary.hostLoad.count == ledger.context.hosts, "matrix or host table sized off the context")
        for layer in summary.layers {
            check(summary.perLayer[layer] != nil && ledger.bytesSavedByDeduplication.indices.contains(layer), "layer \(layer) has no table")
            check(summary.hostImbalance(layer: layer).isFinite && summary.expertImbalance(layer: layer).isFinite, "layer \(layer)'s imbalance is not finite")
        }
        check(summary.hostImbalance().isFinite && summary.expertImbalance().isFinite, "imbalance is not finite")
        check(summary.links.allSatisfy { names.indices.contains($0.source) && names.indices.contains($0.destination) }, "a link between unknown roles")
        let locality = summary.nodeLocality
        check(locality.intraNode + locality.interNode == summary.total.totalBytes, "node locality loses bytes")
        check(RunSummary.Traffic(summary).wireBytes == ledger.wireBytes, "summary.json's traffic disagrees with the ledger")
        _ = TrafficCSV.encode(summary)
        let topology = reportTopologies[ledger.context.topology.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? ""]
            ?? reportTopologies["hgx-h100"]
        let html = RunFiles.report(summary, run: run, title: "fuzz", topology: topology)
        check(html.hasSuffix("</html>\n"), "report.html is cut short")
        if let written = try? TrafficJSONL.encode(ledger) {
            check((try? TrafficJSONL.decode(written, file: "rewritten.jsonl")) == ledger, "a ledger reads back differently once written")
        }
    }

    /// A small coordinator ledger: two hosts, two layers, one step (MalformedRunDirectoryTests').
    static let sampleLedger = try! TrafficJSONL.decode(#"""
        {"schema":"switchyard-traffic","version":1,"context":{"hosts":2,"layers":2,"experts":4,"hidden":8,"payload":"f32","transport":"inproc","coordinatorDevice":{"node":0,"gpu":0},"hostDevices":[{"node":0,"gpu":1},{"node":0,"gpu":2}],"topology":"hgx-h100"}}
        {"type":"message","kind":"dispatch","step":0,"exchange":1,"layer":1,"micro_batch":0,"host":0,"tokens":2,"slots":3,"payload_bytes":64,"wire_bytes":168,"send_ns":1000,"receive_ns":3000}
        {"type":"message","kind":"combine","step":0,"exchange":1,"layer":1,"micro_batch":0,"host":0,"tokens":2,"slots":3,"payload_bytes":64,"wire_bytes":168,"send_ns":5000,"receive_ns":9000}
        {"type":"layer","layer":1,"expert_tokens":[3,1,2,0],"bytes_saved_by_dedup":152}
        {"type":"step","step":0,"seconds":0.5,"tokens":2}
        """#, file: "sample.jsonl")

    /// Topologies the report times a run's exchange on, by name: the repository's presets, read
    /// once (a traffic file's own topology path is not followed: the fuzzer would pick files).
    static let reportTopologies: [String: Topology] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("topologies")
        var topologies: [String: Topology] = [:]
        for name in ["hgx-h100", "dgx-b200", "hgx-h100-x4"] {
            topologies[name] = try? Topology.load(contentsOf: folder.appendingPathComponent(name + ".json"))
        }
        return topologies
    }()
}
