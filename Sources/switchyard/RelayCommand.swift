import ArgumentParser
import Foundation
import SwitchyardLaunch

struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Run one node's relay of a hierarchical exchange: one copy of each token per node.",
        discussion: """
        For a cluster file with "exchange": "hierarchical" (the default when its hosts
        span several nodes): connects to the node's expert hosts, completes their
        handshake, then listens at relays[K]'s endpoint. The coordinator sends each
        token once to each node holding any of its experts; the relay hands it to the
        node's hosts and sends back one combine, their partial sums added. switchyard
        run starts the relays itself; by hand, start one on each node beside its hosts.

        Example: switchyard relay --cluster cluster/local-hgx-h100x4.json --relay 1
        Defaults: --model mini, --seed 0, --dtype f32.
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @Option(help: "Which relay of the cluster file this is (0-based: relay K serves the K-th node the hosts list).") var relay: Int
    @Option(help: "Stop when this process (the launcher) is gone.") var parentPid: Int32?
    @Flag(help: "Log only problems, not start and stop: --log-level warning.") var quiet = false
    @Option(help: "Write this relay's ledgers into this run directory when stopped: traffic-host-K.jsonl (its side of the coordinator's exchange) and relay-K/traffic.jsonl (its node's).")
    var trafficOut: String?

    func run() throws {
        var settings = try cluster.settings()
        if quiet { settings.logLevel = max(settings.logLevel, .warning) }
        settings.logger = CommandLog.logger("relay-\(relay)", level: settings.logLevel)
        _ = try RelayDaemon.run(settings: settings, relay: relay, weights: weights.choice, parentPid: parentPid, trafficOut: trafficOut)
    }
}
