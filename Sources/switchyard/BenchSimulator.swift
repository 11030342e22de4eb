import SwitchyardKernels
import ArgumentParser
import Foundation
import SwitchyardLaunch
import SwitchyardModel
import SwitchyardSimulator
import SwitchyardTopology
import SwitchyardModelConfig
import SwitchyardCore

struct BenchSimulator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Time the simulator itself: cost per step against devices and layers, and the two speed targets.",
        discussion: """
        Targets: one decode step of mistral-small-4 on hgx-h100-x4 under 20 ms; 1,000
        decode steps with zipf routing on 32 GPUs under 5 s.
        Example: switchyard bench simulator --json bench-simulator.json
        Defaults: decode batch 256, context 8192, fp8 weights, disaggregated.
        """
    )

    @Option(help: "Decode batch of every timed step.") var batch = 256
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        try FlagBounds.check([("--batch", batch, FlagBounds.tokens)])
    }

    func run() throws {
        let node = try TopologyArgument.load("hgx-h100")
        let base = ModelPreset.mistralSmall4.config
        var rows: [[String]] = [], figures: [[String: Any]] = []
        for nodes in [1, 2, 4, 8] {
            let topology = node.replicatingNodes(nodes)
            for layers in [9, 18, 36] {
                var config = base
                config.numHiddenLayers = layers
                let seconds = try timeSteps(config, topology, steps: 20, routing: .uniform)
                rows.append([String(topology.devices.count), String(layers), String(format: "%.3f", seconds * 1e3)])
                figures.append(["devices": topology.devices.count, "layers": layers, "ms_per_step": seconds * 1e3])
            }
        }
        let cluster = try TopologyArgument.load("hgx-h100-x4")
        let one = try timeSteps(base, cluster, steps: 1, routing: .uniform)
        let thousand = try timeSteps(base, cluster, steps: 1000, routing: .zipf(1.1)) * 1000
        let targets: [(String, Double, Double)] = [
            ("one decode step, mistral-small-4, hgx-h100-x4", one, 0.020),
            ("1,000 decode steps, zipf:1.1, 32 GPUs", thousand, 5),
        ]
        let object: [String: Any] = ["scaling": figures, "targets": targets.map { ["measure": $0.0, "seconds": $0.1, "target_seconds": $0.2] }]
        if try JSONOption.write(object, to: json) { return }
        print("simulator cost of one decode step (batch \(batch), 128 experts, mean of 20 steps)")
        print(Table(header: ["devices", "layers", "ms per step"], rows: rows, rightAligned: [0, 1, 2]).render())
        print("")
        print(Table(header: ["measure", "time", "target", "met"], rows: targets.map {
            [$0.0, Format.seconds($0.1), Format.seconds($0.2), $0.1 < $0.2 ? "yes" : "NO"]
        }, rightAligned: [1, 2]).render())
    }

    /// Seconds per simulated step, wall clock.
    func timeSteps(_ config: ModelConfig, _ topology: Topology, steps: Int, routing: RoutingDistribution) throws -> Double {
        let deployment = try Deployment(topology: topology, experts: config.nRoutedExperts, mode: .disaggregated)
        let simulator = Simulator(footprint: ModelFootprint(config: config, weights: .fp8), deployment: deployment,
                                  options: SimulationOptions(phase: .decode, batch: batch, routing: routing, steps: steps))
        let start = ContinuousClock.now
        let result = simulator.run()
        let elapsed = ContinuousClock.now - start
        precondition(result.meanStepSeconds > 0)
        return elapsedSeconds(elapsed) / Double(steps)
    }
}

func elapsedSeconds(_ d: Duration) -> Double { d.inSeconds }
