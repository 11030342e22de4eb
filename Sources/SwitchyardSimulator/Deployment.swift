import SwitchyardTopology

/// Where attention runs and where the routed experts live.
public enum DeploymentMode: String, CaseIterable, Sendable {
    /// Switchyard's shape: attention on the coordinator's GPUs, experts on the other GPUs.
    case disaggregated
    /// The usual expert-parallel deployment: every GPU runs attention for its share of the batch
    /// and holds experts.
    case colocated
}

/// How routed experts are dealt to the expert devices (the same in every layer).
public enum PlacementPolicy: String, CaseIterable, Sendable {
    /// Expert e on expert device ⌊e·D/E⌋: consecutive experts together.
    case contiguous
    /// Expert e on expert device e mod D.
    case roundRobin = "round-robin"
}

public struct DeploymentError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The roles of a topology's devices for one model.
public struct Deployment: Sendable {
    public let topology: Topology
    public let mode: DeploymentMode
    public let placement: PlacementPolicy
    /// Devices running attention, routing, the shared expert and the LM head.
    public let attentionDevices: [Int]
    /// Devices holding routed experts.
    public let expertDevices: [Int]
    /// The device of each routed expert.
    public let expertOwner: [Int]

    /// `coordinatorGPUs` (disaggregated only): how many of the first GPUs are the coordinator's.
    public init(topology: Topology, experts: Int, mode: DeploymentMode, placement: PlacementPolicy = .contiguous,
                coordinatorGPUs: Int = 1) throws(DeploymentError) {
        let count = topology.devices.count
        self.topology = topology
        self.mode = mode
        self.placement = placement
        switch mode {
        case .colocated:
            attentionDevices = Array(0..<count)
            expertDevices = Array(0..<count)
        case .disaggregated:
            guard coordinatorGPUs >= 1, coordinatorGPUs < count else {
                throw DeploymentError(description: "--coordinator-gpus must be in 1...\(count - 1) for \(topology.name) (\(count) GPUs): disaggregated mode needs GPUs left for the experts, got \(coordinatorGPUs)")
            }
            attentionDevices = Array(0..<coordinatorGPUs)
            expertDevices = Array(coordinatorGPUs..<count)
        }
        let hosts = expertDevices
        expertOwner = (0..<experts).map { e in
            switch placement {
            case .contiguous: hosts[e * hosts.count / experts]
            case .roundRobin: hosts[e % hosts.count]
            }
        }
    }

    /// Roles given device by device, as a cluster file gives them: attention on `attentionDevices`,
    /// routed expert e on device `expertOwner[e]`.
    public init(topology: Topology, mode: DeploymentMode, attentionDevices: [Int], expertOwner: [Int]) throws(DeploymentError) {
        let count = topology.devices.count
        for device in attentionDevices + expertOwner where !(0..<count).contains(device) {
            throw DeploymentError(description: "device \(device) is not one of the \(count) GPUs of \(topology.name)")
        }
        guard !attentionDevices.isEmpty, !expertOwner.isEmpty else {
            throw DeploymentError(description: "a deployment needs a device for attention and one for each expert")
        }
        self.topology = topology
        self.mode = mode
        placement = .contiguous
        self.attentionDevices = attentionDevices
        expertDevices = Array(Set(expertOwner)).sorted()
        self.expertOwner = expertOwner
    }

    /// Node-limited routing's groups: each expert's group is the node of its GPU.
    public func nodeGroups(limit: Int) -> GroupLimit {
        GroupLimit(groupOfExpert: expertOwner.map { topology.devices[$0].node }, limit: limit)
    }

    public func expertCount(on device: Int) -> Int { expertOwner.reduce(0) { $0 + ($1 == device ? 1 : 0) } }
    public func runsAttention(_ device: Int) -> Bool { attentionDevices.contains(device) }
    public func role(of device: Int) -> String {
        switch (runsAttention(device), expertCount(on: device) > 0) {
        case (true, true): "attention + experts"
        case (true, false): "coordinator"
        case (false, true): "expert host"
        case (false, false): "idle"
        }
    }
}
