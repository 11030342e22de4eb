import ArgumentParser

struct Checkpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write Mistral4 checkpoints in the Hugging Face safetensors layout.",
        subcommands: [CheckpointSynth.self]
    )
}
