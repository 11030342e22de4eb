import ArgumentParser
import Foundation

struct Switchyard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Expert-parallel runtime for Mixture-of-Experts models shaped like Mistral Small 4.",
        subcommands: [Doctor.self, Bench.self, TopologyCommand.self, Plan.self, Simulate.self, Compare.self]
    )
}

/// Errors caused by what the user gave (a flag, a file, a message): exit code 2.
protocol InputError: Error, CustomStringConvertible {}

@main
enum Main {
    static func main() {
        do {
            var command = try Switchyard.parseAsRoot()
            try command.run()
        } catch let error as InputError {
            FileHandle.standardError.write(Data("switchyard: \(error.description)\n".utf8))
            exit(2)
        } catch {
            // Usage errors (unknown command, bad flag value) exit 2 as well, not ArgumentParser's 64.
            if Switchyard.exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((Switchyard.fullMessage(for: error) + "\n").utf8))
                exit(2)
            }
            Switchyard.exit(withError: error)
        }
    }
}
