import Foundation
import SwitchyardCluster
import SwitchyardModelConfig
import SwitchyardRuntime
import SwitchyardTraffic

extension RunTraffic {
    /// A cluster's run: its hosts, devices, cluster and topology files as the cluster file gives them.
    public init(spec: ClusterSpec, config: ModelConfig, transport: ClusterTransport, directory: URL?) {
        self.init(config: config, hosts: spec.hosts.count, payload: spec.payload, transport: TrafficContext.Transport(transport),
                  coordinatorDevice: spec.coordinator.device, hostDevices: spec.hosts.map(\.device), cluster: spec.file,
                  topology: spec.topologyPath, directory: directory)
    }
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
