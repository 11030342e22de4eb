import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardTraffic
import SwitchyardWire

struct ExpertHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expert-host",
        abstract: "Run one expert-host daemon: hold host K's experts and serve dispatches until shut down.",
        discussion: """
        Loads or generates only the routed experts the cluster file's placement gives host K, for
        every layer, listens at its endpoint (ZeroMQ) and answers the coordinator until a shutdown
        frame. Bad frames are answered with an error frame and counted; serving goes on.
        Hosts of an MPI cluster are started by mpirun instead (switchyard run --launcher mpirun).

        Example: switchyard expert-host --cluster cluster/local-dgx-b200.json --host 3 --model mini
        Defaults: --model mini, --seed 0, --dtype f32.
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @Option(help: "Which expert host of the cluster file this is (0-based).") var host: Int
    @Option(help: "Stop when this process (the launcher) is gone.") var parentPid: Int32?
    @Flag(help: "Log only problems (bad frames, refusals), not start and stop.") var quiet = false
    @Option(help: "Record every dispatch received and combine sent; write traffic-host-K.jsonl into this run directory when stopped.")
    var trafficOut: String?

    func run() throws {
        let spec = try cluster.spec()
        guard (0..<spec.hosts.count).contains(host) else {
            throw ValidationError("--host \(host) is not a host of \(spec.file), which has hosts 0...\(spec.hosts.count - 1)")
        }
        let transportKind = cluster.transport ?? spec.transport
        guard transportKind == .zmq, case let .zmq(endpoint) = spec.hosts[host].endpoint else {
            throw ValidationError("expert-host serves over ZeroMQ; \(spec.file) host \(host) is \(spec.hosts[host].endpoint) over \(transportKind.rawValue) (MPI hosts are started by mpirun: switchyard run --launcher mpirun)")
        }
        let (config, source) = try weights.source()
        let placement = try spec.placement(for: config)
        let slice = try RoutedExpertWeights(config: config, source: source, owned: placement.experts(of: host))
        let log = { @Sendable (line: String) in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let security = try ClusterLinkSecurity.host(spec, host: host, keys: cluster.keys, secretKey: cluster.secretKey, warn: log)
        let transport = try ZeroMQHostTransport(endpoint: endpoint, host: host, security: security, log: log)
        defer { transport.close() }
        let info = quiet ? { (_: String) in } : log
        let server = ExpertHostServer(index: host, config: config, placement: placement, experts: slice,
                                      weightsFingerprint: source.fingerprint, transport: transport,
                                      limits: WireLimits(config: config), log: log)
        info("expert host \(host): \(slice.owned.count) experts × \(config.moeLayerCount) layers, \(Format.bytes(slice.residentBytes)) resident, listening at \(transport.boundEndpoint)\(security == nil ? "" : " (CURVE)")")
        let recorder = trafficOut.map { _ in HostTraffic.recorder(spec: spec, config: config, host: host, transport: "zmq") }
        server.traffic = recorder
        let parent = parentPid
        let statistics = try server.serve(shouldStop: { parent.map { getppid() != $0 } ?? false })
        if let recorder, let trafficOut { try HostTraffic.write(recorder, host: host, into: trafficOut) }
        info("expert host \(host): stopped after \(statistics.dispatches) dispatches, \(statistics.badFrames) bad frames")
    }
}
