import Foundation
import SwitchyardCluster
import SwitchyardModelConfig
import SwitchyardRuntime
import SwitchyardTraffic

extension RunTraffic {
    /// A cluster's run as its coordinator records it: its peers (the hosts, or with a hierarchical
    /// exchange the node relays), their devices, cluster and topology files as the cluster file gives them.
    public init(spec: ClusterSpec, config: ModelConfig, transport: ClusterTransport, directory: URL?) {
        let peers = spec.exchange == .hierarchical ? spec.relays : spec.hosts
        var context = TrafficContext(hosts: peers.count, layers: config.numHiddenLayers, experts: config.nRoutedExperts, hidden: config.hiddenSize,
                                     payload: spec.payload, transport: TrafficContext.Transport(transport), coordinatorDevice: spec.coordinator.device,
                                     hostDevices: peers.map(\.device), cluster: spec.file, topology: spec.topologyPath)
        if spec.exchange == .hierarchical { context.exchange = ClusterExchange.hierarchical.rawValue }
        self.init(context: context, directory: directory)
    }

    /// Relay `relay`'s run of its node's hosts (hierarchical exchange): the relay as their
    /// coordinator, written into the folder relay-K of the run directory `directory`.
    public init(spec: ClusterSpec, relay: Int, config: ModelConfig, transport: ClusterTransport, directory: URL?) {
        let members = spec.hosts(ofRelay: relay)
        self.init(config: config, hosts: members.count, payload: spec.payload, transport: TrafficContext.Transport(transport),
                  coordinatorDevice: spec.relays[relay].device, hostDevices: members.map { spec.hosts[$0].device }, cluster: spec.file,
                  topology: spec.topologyPath, directory: directory?.appendingPathComponent(Self.relayFolder(relay)))
    }

    /// The folder of a run directory holding relay K's node ledger and its hosts' ledgers.
    public static func relayFolder(_ relay: Int) -> String { "relay-\(relay)" }
}

extension TrafficContext.Transport {
    public init(_ transport: ClusterTransport) {
        switch transport {
        case .zmq: self = .zmq
        case .mpi: self = .mpi
        case .inproc: self = .inproc
        }
    }
}
