import SwitchyardCore

/// What one device holds under a plan.
public struct DeviceMemory: Sendable {
    public var device: Int
    public var name: String
    public var role: String
    public var experts: Int
    public var capacityBytes: Double
    public var weightBytes: Double
    public var reserveBytes: Double
    /// Capacity less weights and reserve (negative when the weights do not fit).
    public var freeBytes: Double { capacityBytes - weightBytes - reserveBytes }
    /// Tokens of KV cache this device keeps (attention devices only).
    public var kvTokens: Int
    public var sequences: Int
}

/// Whether a model fits a deployment, and how much KV cache is left: the planner's answer.
public struct CapacityPlan: Sendable {
    public var devices: [DeviceMemory]
    public var kvBytesPerToken: Double
    public var context: Int
    public var totalWeightBytes: Double
    public var kvTokens: Int { devices.reduce(0) { $0 + $1.kvTokens } }
    /// Whole sequences of `context` tokens: a sequence's cache lives on one attention device.
    public var sequences: Int { devices.reduce(0) { $0 + $1.sequences } }
    public var weightsFit: Bool { devices.allSatisfy { $0.freeBytes >= 0 } }
    public var fits: Bool { weightsFit && sequences >= 1 }

    /// `reserveBytes`: per device, kept for activations, communication buffers and the runtime.
    public init(footprint: ModelFootprint, deployment: Deployment, context: Int, reserveBytes: Double) {
        let experts = (0..<deployment.topology.devices.count).map(deployment.expertCount)
        devices = deployment.topology.devices.map { device in
            let attention = deployment.runsAttention(device.index)
            let weights = (attention ? footprint.attentionSideBytes : 0) + Double(experts[device.index]) * footprint.expertBytesAcrossLayers
            let free = device.model.memoryBytes - weights - reserveBytes
            let tokens = attention && free > 0 ? Int(free / footprint.kvBytesPerToken) : 0
            return DeviceMemory(device: device.index, name: device.name, role: deployment.role(of: device.index),
                                experts: experts[device.index], capacityBytes: device.model.memoryBytes,
                                weightBytes: weights, reserveBytes: reserveBytes, kvTokens: tokens,
                                sequences: tokens / max(1, context))
        }
        kvBytesPerToken = footprint.kvBytesPerToken
        self.context = context
        totalWeightBytes = devices.reduce(0) { $0 + $1.weightBytes }
    }

    /// The device with the least memory to spare.
    public var tightest: DeviceMemory { devices.min { $0.freeBytes < $1.freeBytes }! }

    /// One line: the verdict and the numbers behind it ("fits: …", "does not fit: …").
    public var verdict: String { "\(fits ? "fits" : "does not fit"): \(reason)" }

    /// The numbers behind the verdict, without it.
    public var reason: String {
        let t = tightest
        if !weightsFit {
            return "\(t.name) (\(t.role)) needs \(gib(t.weightBytes)) of weights + \(gib(t.reserveBytes)) reserve and has \(gib(t.capacityBytes))"
        }
        if sequences < 1 {
            return "the KV cache left (\(Plural.count(kvTokens, "token"))) holds no sequence of \(Plural.count(context, "token"))"
        }
        return "tightest \(t.name) (\(t.role)) has \(gib(t.freeBytes)) free; KV cache for \(Plural.count(kvTokens, "token")) = "
            + "\(Plural.count(sequences, "sequence")) of \(context)"
    }
}

func gib(_ bytes: Double) -> String { String(format: "%.1f GiB", bytes / 1_073_741_824) }
import Foundation
