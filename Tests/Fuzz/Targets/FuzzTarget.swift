import Foundation
import SwitchyardCluster
import SwitchyardCore
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardTopology
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

    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .wire: Self.wire(bytes)
        case .safetensors: Self.safetensors(bytes)
        case .config: Self.config(Data(bytes))
        case .topology: Self.topology(Data(bytes))
        case .cluster: Self.cluster(Data(bytes))
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
}
