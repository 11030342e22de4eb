import ArgumentParser
import Foundation
import SwitchyardTopology
import SwitchyardCore

struct TopologyValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check topology files; print one line per file.",
        discussion: """
        Each FILE is a path or a preset's name. An invalid file is reported as FILE:
        JSON-PATH: PROBLEM on stderr; the command exits 2 if any file is invalid.

        Example: switchyard topology validate topologies/*.json
        """
    )

    @Argument(help: "Topology files or preset names.") var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one topology file") }
    }

    func run() throws {
        var failures = 0
        for file in files {
            do {
                let t = try TopologyArgument.load(file)
                print("\(file): ok: \(t.name), \(Plural.count(t.nodes.count, "node")), \(Plural.count(t.devices.count, "GPU"))")
            } catch let error as InputError {
                failures += 1
                FileHandle.standardError.write(Data("switchyard: \(error.description)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(2) }
    }
}
