/// Number formats a GPU's tensor cores have a dense throughput for.
public enum NumberFormat: String, CaseIterable, Sendable, Codable {
    case bf16, fp8, fp4
}

/// One GPU model: what a topology file's `gpu_models` entry states. SI units.
public struct GPUModel: Equatable, Sendable {
    public var name: String
    public var memoryBytes: Double
    public var hbmBytesPerSecond: Double
    /// Dense tensor-core peak per format, FLOP/s; a format the GPU lacks is absent.
    public var denseFLOPS: [NumberFormat: Double]

    public init(name: String, memoryBytes: Double, hbmBytesPerSecond: Double, denseFLOPS: [NumberFormat: Double]) {
        self.name = name
        self.memoryBytes = memoryBytes
        self.hbmBytesPerSecond = hbmBytesPerSecond
        self.denseFLOPS = denseFLOPS
    }

    /// The peak a GEMM in `format` runs at: the format's own, or the next wider one the GPU has
    /// (fp4 without fp4 units runs as fp8, then bf16).
    public func peakFLOPS(_ format: NumberFormat) -> Double {
        let order: [NumberFormat] = switch format {
        case .fp4: [.fp4, .fp8, .bf16]
        case .fp8: [.fp8, .bf16]
        case .bf16: [.bf16]
        }
        return order.lazy.compactMap { denseFLOPS[$0] }.first ?? 0
    }
}

/// A node: a name, its GPU model and the names of its GPUs.
public struct Node: Equatable, Sendable {
    public var name: String
    public var gpuModel: String
    public var gpuNames: [String]
    /// Set when the node's "GPUs" are processes sharing one CPU (a calibrated machine): together
    /// their kernels reach at most this.
    public var sharedCompute: SharedCompute?

    public init(name: String, gpuModel: String, gpuNames: [String], sharedCompute: SharedCompute? = nil) {
        self.name = name
        self.gpuModel = gpuModel
        self.gpuNames = gpuNames
        self.sharedCompute = sharedCompute
    }
}

/// What a node's devices reach together when they share one processor (`shared_compute`): a
/// device alone runs at its GPU model's rates, all of them at once at most at these.
public struct SharedCompute: Equatable, Sendable {
    public var memoryBytesPerSecond: Double
    public var flops: Double
    /// Weight bytes a second all devices together stream by tokens per expert call
    /// (`weight_streaming`); none: every call at `memoryBytesPerSecond`.
    public var streaming: WeightStreaming?

    public init(memoryBytesPerSecond: Double, flops: Double, streaming: WeightStreaming? = nil) {
        self.memoryBytesPerSecond = memoryBytesPerSecond
        self.flops = flops
        self.streaming = streaming
    }
}

/// The scale-up fabric inside a node (NVLink through NVSwitch, Infinity Fabric, …).
public struct ScaleUpFabric: Equatable, Sendable {
    public var name: String
    /// Each GPU's bandwidth to the fabric, each way.
    public var bytesPerSecondEachWay: Double
    public var latencySeconds: Double
    /// true: through switches, any pair may use a GPU's full bandwidth; false: a full mesh of
    /// direct links, a GPU's bandwidth split evenly over its peers.
    public var switched: Bool
    /// A switched fabric that cannot carry every GPU at full rate at once has an aggregate limit.
    public var nonBlocking: Bool
    /// Total a node's switches carry (one direction summed over GPUs), when not non-blocking.
    public var aggregateBytesPerSecond: Double?
    /// Fixed time a GPU's port spends on each message and on each token record that crosses it.
    public var costs: TransferCosts
    /// What an exchange pays when its dispatch follows an idle gap (processes asleep); none for GPUs.
    public var wakeUp: WakeUpCosts

    public init(name: String, bytesPerSecondEachWay: Double, latencySeconds: Double, switched: Bool = true,
                nonBlocking: Bool = true, aggregateBytesPerSecond: Double? = nil, costs: TransferCosts = .none, wakeUp: WakeUpCosts = .none) {
        self.name = name
        self.bytesPerSecondEachWay = bytesPerSecondEachWay
        self.latencySeconds = latencySeconds
        self.switched = switched
        self.nonBlocking = nonBlocking
        self.aggregateBytesPerSecond = aggregateBytesPerSecond
        self.costs = costs
        self.wakeUp = wakeUp
    }
}

/// Fixed costs a port pays besides its bytes: one per message (issuing a work request, ringing a
/// doorbell, a header) and one per token record a message carries (packing and unpacking it).
/// Unlike latency, they serialize: a port's time grows with every message and token through it.
public struct TransferCosts: Equatable, Sendable {
    public var messageSeconds: Double
    public var tokenSeconds: Double

    public static let none = TransferCosts(messageSeconds: 0, tokenSeconds: 0)

    public init(messageSeconds: Double, tokenSeconds: Double) {
        self.messageSeconds = messageSeconds
        self.tokenSeconds = tokenSeconds
    }
}

/// The scale-out network between nodes.
public struct ScaleOutNetwork: Equatable, Sendable {
    public enum Attachment: String, Sendable { case gpu, node }
    public var name: String
    /// `gpu`: each GPU has its own NICs; `node`: the node's NICs are shared by its GPUs.
    public var attachment: Attachment
    /// NICs per GPU or per node.
    public var nicCount: Int
    public var bytesPerSecondPerNIC: Double
    public var latencySeconds: Double
    /// GPU i of every node sits on rail i: traffic to another rail is forwarded over the scale-up
    /// fabric on the receiving node (as DeepEP and NCCL's PXN do).
    public var railOptimized: Bool
    /// Fixed time a NIC spends on each message and on each token record that crosses it.
    public var costs: TransferCosts

    public init(name: String, attachment: Attachment, nicCount: Int, bytesPerSecondPerNIC: Double,
                latencySeconds: Double, railOptimized: Bool, costs: TransferCosts = .none) {
        self.name = name
        self.attachment = attachment
        self.nicCount = nicCount
        self.bytesPerSecondPerNIC = bytesPerSecondPerNIC
        self.latencySeconds = latencySeconds
        self.railOptimized = railOptimized
        self.costs = costs
    }
}

/// The share of each peak real kernels reach; see docs/TOPOLOGY.md for where the defaults come from.
public struct AchievableFractions: Equatable, Sendable {
    public var compute: Double
    public var hbm: Double
    public var scaleUp: Double
    public var scaleOut: Double

    public static let defaults = AchievableFractions(compute: 0.70, hbm: 0.80, scaleUp: 0.80, scaleOut: 0.97)
    /// Every peak taken at face value: for hand-computed tests.
    public static let peak = AchievableFractions(compute: 1, hbm: 1, scaleUp: 1, scaleOut: 1)

    public init(compute: Double, hbm: Double, scaleUp: Double, scaleOut: Double) {
        self.compute = compute
        self.hbm = hbm
        self.scaleUp = scaleUp
        self.scaleOut = scaleOut
    }
}

/// One GPU of a topology, by its place.
public struct Device: Equatable, Sendable {
    /// Position in the topology's device list (node-major).
    public var index: Int
    /// "node0/gpu3"
    public var name: String
    public var node: Int
    /// Position inside its node: its rail in a rail-optimized network.
    public var localIndex: Int
    public var model: GPUModel
}

/// A GPU system: nodes of GPUs, a scale-up fabric inside each node, a network between nodes.
public struct Topology: Equatable, Sendable {
    public var name: String
    public var description: String
    public var gpuModels: [String: GPUModel]
    public var nodes: [Node]
    public var scaleUp: ScaleUpFabric
    public var scaleOut: ScaleOutNetwork?
    public var achievable: AchievableFractions
    /// Every GPU, node-major.
    public private(set) var devices: [Device] = []

    public init(name: String, description: String = "", gpuModels: [String: GPUModel], nodes: [Node],
                scaleUp: ScaleUpFabric, scaleOut: ScaleOutNetwork?, achievable: AchievableFractions = .defaults) {
        self.name = name
        self.description = description
        self.gpuModels = gpuModels
        self.nodes = nodes
        self.scaleUp = scaleUp
        self.scaleOut = scaleOut
        self.achievable = achievable
        devices = Self.listDevices(nodes: nodes, models: gpuModels)
    }

    private static func listDevices(nodes: [Node], models: [String: GPUModel]) -> [Device] {
        var devices: [Device] = []
        for (n, node) in nodes.enumerated() {
            guard let model = models[node.gpuModel] else { continue }
            for (g, gpu) in node.gpuNames.enumerated() {
                devices.append(Device(index: devices.count, name: "\(node.name)/\(gpu)", node: n, localIndex: g, model: model))
            }
        }
        return devices
    }

    /// `count` copies of this topology's nodes: how cluster presets are built from one node.
    /// One base node's copies take its name with the copy's number in place of a trailing number
    /// ("node0" gives "node0", "node1", …); several base nodes' copies get "-copy" appended.
    public func replicatingNodes(_ count: Int, name: String? = nil) -> Topology {
        var copies: [Node] = []
        for copy in 0..<count {
            for node in nodes {
                let stem = String(node.name.reversed().drop(while: \.isNumber).reversed())
                let copyName = nodes.count == 1 ? "\(stem)\(copy)" : "\(node.name)-\(copy)"
                copies.append(Node(name: copyName, gpuModel: node.gpuModel, gpuNames: node.gpuNames, sharedCompute: node.sharedCompute))
            }
        }
        return Topology(name: name ?? "\(self.name)-x\(count)", description: description, gpuModels: gpuModels,
                        nodes: copies, scaleUp: scaleUp, scaleOut: scaleOut, achievable: achievable)
    }

    public var totalMemoryBytes: Double { devices.reduce(0) { $0 + $1.model.memoryBytes } }
    public var totalHBMBytesPerSecond: Double { devices.reduce(0) { $0 + $1.model.hbmBytesPerSecond } }
    public func totalPeakFLOPS(_ format: NumberFormat) -> Double { devices.reduce(0) { $0 + ($1.model.denseFLOPS[format] ?? 0) } }
    public func gpuCount(node: Int) -> Int { nodes[node].gpuNames.count }
}
