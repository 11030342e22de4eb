import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardModel

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator against expert hosts already running, serve the workload, then stop them.",
        discussion: """
        For a cluster whose expert hosts were started by hand or by a service manager
        (switchyard expert-host on each machine): connects to every host's ZeroMQ endpoint, checks
        in the handshake that each holds this model, placement and weights, serves the workload like
        `switchyard run`, and sends every host a shutdown unless --keep-hosts.

        Example: switchyard coordinator --cluster cluster/local-dgx-b200.json --model mini --requests 4
        """
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var workload: WorkloadOptions
    @Flag(help: "Leave the expert hosts running afterwards.") var keepHosts = false

    func run() throws {
        let spec = try cluster.spec()
        guard (cluster.transport ?? spec.transport) == .zmq else {
            throw ValidationError("the coordinator command connects over ZeroMQ; for MPI use switchyard run --launcher mpirun, for inproc switchyard run")
        }
        let (config, source) = try weights.source()
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let security = try ClusterLinkSecurity.coordinator(spec, keys: cluster.keys, secretKey: cluster.secretKey, warn: LocalRunLinks.warn)
        let coordinator = try CoordinatorCluster.connect(spec: spec, endpoints: try CoordinatorCluster.zmqEndpoints(spec), options: cluster,
                                                         config: config, source: source, security: security)
        do { try coordinator.handshake(timeout: .seconds(cluster.handshakeTimeout)) } catch {
            // Hosts that refused, or never answered, are not ours to stop.
            coordinator.disconnectOnly()
            throw error
        }
        defer { keepHosts ? coordinator.disconnectOnly() : coordinator.stop() }
        try ClusterWorkload.run(model: model, experts: coordinator.experts, spec: spec, transport: "zmq",
                                payload: spec.payload.rawValue, weights: source.fingerprint, workload: workload)
    }
}
