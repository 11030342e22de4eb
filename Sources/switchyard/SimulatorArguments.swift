import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardCore
import SwitchyardModel
import SwitchyardSimulator
import SwitchyardTopology

/// A flag or file the planner or simulator cannot use: one line, exit code 2.
struct SimulatorInputError: InputError {
    var description: String
}

/// Topology and cluster files share one error: file, JSON path, problem.
extension JSONFileError: InputError {}
extension DeploymentError: InputError {}

extension WeightFormat: ExpressibleByArgument {}
extension DeploymentMode: ExpressibleByArgument {}
extension PlacementPolicy: ExpressibleByArgument {}
extension Phase: ExpressibleByArgument {}
extension DispatchDType: ExpressibleByArgument {}
extension CombineDType: ExpressibleByArgument {}
extension Overlap: ExpressibleByArgument {}
extension KVCacheDType: ExpressibleByArgument {}
extension RoutingDistribution: ExpressibleByArgument {
    /// How --help shows a default: "uniform", as typed, not the case's reflection.
    public var defaultValueDescription: String { description }
}
extension ExchangeAlgorithm: ExpressibleByArgument {}

enum TopologyArgument {
    /// A topology file's path or a preset's name ("hgx-h100").
    static func load(_ argument: String) throws -> Topology {
        let url = TopologyPresets.resolve(argument)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SimulatorInputError(description: "--topology: \"\(argument)\" is neither a file nor a preset (\(TopologyPresets.names.joined(separator: ", ")))")
        }
        return try Topology.load(contentsOf: url)
    }

    /// `--topology`, or when it is left out the topology `--cluster`'s file names.
    static func load(_ argument: String?, cluster: String?) throws -> Topology {
        if let argument { return try load(argument) }
        guard let cluster else { throw SimulatorInputError(description: "--topology is required (or --cluster, whose file names its topology)") }
        return try Topology.load(contentsOf: URL(fileURLWithPath: try ClusterSpec.load(path: cluster).topologyPath))
    }
}

/// Options shared by the planner and the simulator: how the model is deployed.
struct DeploymentOptions: ParsableArguments {
    @Option(help: "disaggregated (attention on the coordinator's GPUs, experts on the others) or colocated (every GPU does both).")
    var mode: DeploymentMode = .disaggregated
    @Option(help: "How routed experts are dealt to expert GPUs: contiguous or round-robin.")
    var placement: PlacementPolicy = .contiguous
    @Option(name: .customLong("coordinator-gpus"), help: "Disaggregated mode: the coordinator runs on the first N GPUs (attention data-parallel over them).")
    var coordinatorGPUs = 1
    @Option(help: "A cluster file: the coordinator, the expert hosts and the placement stand on the devices it names (instead of --mode, --placement and --coordinator-gpus).")
    var cluster: String?

    func validate() throws {
        try FlagBounds.check([("--coordinator-gpus", coordinatorGPUs, FlagBounds.devices)])
        if cluster != nil, mode != .disaggregated || placement != .contiguous || coordinatorGPUs != 1 {
            throw ValidationError("--cluster gives the roles and the placement; leave out --mode, --placement and --coordinator-gpus")
        }
    }

    /// How the deployment is described in titles.
    var summary: String {
        if let cluster { return "roles and placement from \(cluster)" }
        let coordinator = mode == .disaggregated ? " (\(coordinatorGPUs) coordinator GPU\(coordinatorGPUs == 1 ? "" : "s"))" : ""
        return "\(mode.rawValue)\(coordinator), \(placement.rawValue)"
    }

    func deployment(_ topology: Topology, experts: Int, groups: Int? = nil) throws -> Deployment {
        guard let cluster else {
            return try Deployment(topology: topology, experts: experts, mode: mode, placement: placement, coordinatorGPUs: coordinatorGPUs)
        }
        let spec = try ClusterSpec.load(path: cluster)
        func device(_ ref: DeviceRef, _ path: String) throws -> Int {
            guard let found = topology.devices.first(where: { $0.node == ref.node && $0.localIndex == ref.gpu }) else {
                throw SimulatorInputError(description: "\(cluster): \(path).device: node \(ref.node) gpu \(ref.gpu) is not a GPU of \(topology.name)")
            }
            return found.index
        }
        let coordinator = try device(spec.coordinator.device, "coordinator")
        let hosts = try spec.hosts.enumerated().map { try device($0.element.device, "hosts[\($0.offset)]") }
        let placement = try spec.placement(experts: experts, groups: groups)
        return try Deployment(topology: topology, mode: .disaggregated, attentionDevices: [coordinator],
                              expertOwner: (0..<experts).map { hosts[placement.host(of: $0)] })
    }
}
