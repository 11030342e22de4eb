import ArgumentParser

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Describe model shapes.",
        subcommands: [ModelInfo.self]
    )
}
