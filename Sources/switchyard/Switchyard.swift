import ArgumentParser
import CKernels
import Foundation
import SwitchyardLaunch
import SwitchyardMetrics
import SwitchyardServe
import SwitchyardTraffic
import SwitchyardCore

struct Switchyard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Expert-parallel runtime for Mixture-of-Experts models shaped like Mistral Small 4.",
        subcommands: [Doctor.self, Run.self, Serve.self, Generate.self, Forward.self, ModelCommand.self, Checkpoint.self,
                      Cluster.self, Keygen.self, CoordinatorCommand.self, ExpertHostCommand.self, RelayCommand.self, MPIJob.self, ReportCommand.self, TrafficCommand.self,
                      TopologyCommand.self, Plan.self, Simulate.self, Compare.self, Bench.self]
    )
}

/// Errors caused by what the user gave (a flag, a file, a message): exit code 2.
protocol InputError: Error, CustomStringConvertible {}

extension TrafficFileError: InputError {}
extension MetricsEndpointError: InputError {}
extension ServeInputError: InputError {}
extension FileWriteError: InputError {}

@main
enum Main {
    static func main() {
        sy_keep_freed_memory()
        var command: ParsableCommand
        do {
            command = try Switchyard.parseAsRoot(JSONOption.normalize(Array(CommandLine.arguments.dropFirst())))
        } catch {
            // Usage errors (unknown command, bad flag value) exit 2, not ArgumentParser's 64.
            let code = Switchyard.exitCode(for: error)
            if code == .validationFailure { fail(Switchyard.fullMessage(for: error)) }
            Switchyard.exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            // A run stopped by a signal exits 128 + the signal, not with the error its stopping caused.
            SignalGuard.shared.yieldToSignal(within: .milliseconds(250))
            report(error)
        }
    }

    static func report(_ error: Error) -> Never {
        do {
            throw error
        } catch let error as InputError {
            fail("switchyard: \(error.description)")
        } catch let error as ValidationError {
            fail("switchyard: \(error.message)")
        } catch {
            Switchyard.exit(withError: error)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}
