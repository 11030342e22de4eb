import Logging
import SwitchyardProtocol
import Foundation
import SwitchyardCore
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire

/// One expert host from start to stop, the same whether it is a thread (`InProcessCluster`), a
/// process (`switchyard expert-host`) or an MPI rank (`switchyard mpi-job`): its slice of the
/// weights, its server on the transport it was given, its traffic ledger, written when it stops.
public final class ExpertHost: @unchecked Sendable {
    public let index: Int
    public let server: ExpertHostServer
    /// The routed experts this host holds, for every MoE layer.
    public let slice: RoutedExpertWeights
    let traffic: RunTraffic?

    /// Loads only the experts `placement` gives host `index`; records its traffic when `traffic` is
    /// given; `faults` may slow (delay) or thin out (drop) what it sends (those naming host
    /// `faultIndex`, its index in the cluster file when `index` is its place behind a relay).
    public init(index: Int, config: ModelConfig, placement: Placement, source: WeightSource, transport: HostTransport,
                traffic: RunTraffic?, faults: [InjectedFault] = [], faultIndex: Int? = nil, limits: WireLimits? = nil,
                logger: Logger = .silent) throws {
        self.index = index
        slice = try RoutedExpertWeights(config: config, source: source, owned: placement.experts(of: index))
        server = ExpertHostServer(index: index, config: config, placement: placement, experts: slice,
                                  weightsFingerprint: source.fingerprint,
                                  transport: FaultyHostTransport.wrapping(transport, host: faultIndex ?? index, faults: faults),
                                  limits: limits ?? WireLimits(config: config), logger: logger)
        server.linkDelay = InjectedFault.linkDelay(of: faultIndex ?? index, in: faults)
        server.traffic = traffic?.recorder(writer: index)
        self.traffic = traffic
    }

    /// Serves until the coordinator's shutdown or `shouldStop`, then writes this host's ledger into
    /// the run directory, if the run has one.
    public func serve(poll: Duration = .milliseconds(200), shouldStop: () -> Bool = { false }) throws -> ExpertHostServer.Statistics {
        let statistics = try server.serve(poll: poll, shouldStop: shouldStop)
        if let traffic, let recorder = server.traffic { try traffic.write(recorder.ledger) }
        return statistics
    }

    /// What this host recorded (dispatches received, combines sent).
    public var records: [TrafficRecord] { server.traffic.map { Array($0.records) } ?? [] }
}
