import ArgumentParser

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate forward steps of a MoE model on a topology, or one expert all-to-all.",
        discussion: """
        Examples:
          switchyard simulate --model mistral-small-4 --topology hgx-h100-x4 \\
            --phase decode --batch 256
          switchyard simulate alltoall --topology hgx-h100 --ranks 8 \\
            --tokens-per-rank 128 --hidden 4096 --experts 128 --topk 4
        The cost model is documented in docs/SIMULATOR.md.
        """,
        subcommands: [SimulateStep.self, SimulateAlltoall.self],
        defaultSubcommand: SimulateStep.self
    )
}
