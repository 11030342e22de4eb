import ArgumentParser
import Foundation
import SwitchyardLaunch

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator against expert hosts already running, serve the workload, then stop them.",
        discussion: """
        For a cluster whose expert hosts were started by hand or by a service manager
        (switchyard expert-host on each machine): connects to every host's ZeroMQ
        endpoint, checks in the handshake that each holds this model, placement and
        weights, serves the workload like `switchyard run`, and sends every host a
        shutdown unless --keep-hosts.

        Example: switchyard coordinator --cluster cluster/local-dgx-b200.json \\
                   --model mini --requests 4
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var workload: WorkloadOptions
    @Flag(help: "Leave the expert hosts running afterwards.") var keepHosts = false

    func run() throws {
        var text = WorkloadText(workload.workload)
        let outcome = try ClusterRun.coordinate(settings: try cluster.sized(for: workload).settings(), weights: weights.choice, workload: workload.workload,
                                                keepHosts: keepHosts, progress: { text.progress(steps: $0, tokens: $1, bytes: $2) })
        text.finish(outcome)
    }
}
