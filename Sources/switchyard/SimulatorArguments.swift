import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardSimulator
import SwitchyardTopology

/// A flag or file the planner or simulator cannot use: one line, exit code 2.
struct SimulatorInputError: InputError {
    var description: String
}

extension TopologyError: InputError {}
extension DeploymentError: InputError {}

extension WeightFormat: ExpressibleByArgument {}
extension DeploymentMode: ExpressibleByArgument {}
extension PlacementPolicy: ExpressibleByArgument {}
extension Phase: ExpressibleByArgument {}
extension DispatchDType: ExpressibleByArgument {}
extension CombineDType: ExpressibleByArgument {}
extension Overlap: ExpressibleByArgument {}
extension KVCacheDType: ExpressibleByArgument {}
extension RoutingDistribution: ExpressibleByArgument {}

enum ModelArgument {
    /// A preset's name or a config.json path.
    static func load(_ argument: String) throws -> ModelConfig {
        if let preset = ModelPreset(rawValue: argument) { return preset.config }
        guard FileManager.default.fileExists(atPath: argument) else {
            let presets = ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")
            throw SimulatorInputError(description: "--model: \"\(argument)\" is neither a preset (\(presets)) nor an existing config.json")
        }
        do { return try ModelConfig.load(contentsOf: URL(fileURLWithPath: argument)) } catch let error as ModelConfigError {
            throw SimulatorInputError(description: error.description)
        }
    }
}

enum TopologyArgument {
    /// A topology file's path or a preset's name ("hgx-h100").
    static func load(_ argument: String) throws -> Topology {
        let url = TopologyPresets.resolve(argument)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SimulatorInputError(description: "--topology: \"\(argument)\" is neither a file nor a preset (\(TopologyPresets.names.joined(separator: ", ")))")
        }
        return try Topology.load(contentsOf: url)
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

    func deployment(_ topology: Topology, experts: Int) throws -> Deployment {
        try Deployment(topology: topology, experts: experts, mode: mode, placement: placement, coordinatorGPUs: coordinatorGPUs)
    }
}


/// Writes pretty JSON with sorted keys to stdout.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
