import ArgumentParser

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Check and summarize topology files (GPU systems: nodes, GPUs, fabric, network).",
        discussion: "The format is documented in docs/TOPOLOGY.md; presets live in topologies/.",
        subcommands: [TopologyValidate.self, TopologyShow.self, TopologyCalibrate.self, TopologyCalibrateWorker.self]
    )
}
