import ArgumentParser
import Foundation
import SwitchyardKernels
import SwitchyardLaunch
import SwitchyardRuntime

struct ExpertHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expert-host",
        abstract: "Run one expert-host daemon: hold host K's experts and serve dispatches until shut down.",
        discussion: """
        Loads or generates only the routed experts the cluster file's placement gives
        host K, for every layer, listens at its endpoint (ZeroMQ) and answers the
        coordinator until a shutdown frame. Bad frames are answered with an error frame
        and counted; serving goes on. Hosts of an MPI cluster are started by mpirun
        instead (switchyard run --launcher mpirun).

        Example: switchyard expert-host --cluster cluster/local-dgx-b200.json \\
                   --host 3 --model mini
        Defaults: --model mini, --seed 0, --dtype f32.
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @Option(help: "Which expert host of the cluster file this is (0-based).") var host: Int
    @Option(help: "Stop when this process (the launcher) is gone.") var parentPid: Int32?
    @Flag(help: "Log only problems (bad frames, refusals), not start and stop: --log-level warning.") var quiet = false
    @Option(help: "Record every dispatch received and combine sent; write traffic-host-K.jsonl into this run directory when stopped.")
    var trafficOut: String?
    @Option(name: .customLong("inject"), help: ArgumentHelp("A link fault for this host (repeatable): delay:host=K,ms=5 or drop:host=K,rate=0.01; others' are ignored.", valueName: "fault"))
    var injectText: [String] = []

    @Option(help: "Threads this host's kernels and OpenBLAS use (default: every core; `run` gives each of its hosts the cores divided among them).")
    var threads: Int?

    func validate() throws {
        if let threads { try FlagBounds.check([("--threads", threads, FlagBounds.threads)]) }
    }

    func run() throws {
        if let threads { Parallelism.limit(to: threads) }
        let faults: [InjectedFault]
        do { faults = try injectText.map { text throws(InjectedFaultError) in try InjectedFault(parsing: text, hosts: InjectedFault.anyHost) } } catch {
            throw ValidationError(error.description)
        }
        var settings = try cluster.settings()
        if quiet { settings.logLevel = max(settings.logLevel, .warning) }
        settings.logger = CommandLog.logger("expert-host-\(host)", level: settings.logLevel)
        _ = try ExpertHostDaemon.run(settings: settings, host: host, weights: weights.choice, parentPid: parentPid,
                                     trafficOut: trafficOut, faults: faults)
    }
}
