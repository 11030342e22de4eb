import Foundation
import SwitchyardMetrics

/// `--metrics-port`: the run's metrics (traffic and faults, in one registry) and the endpoint
/// serving them, announced on stderr.
public struct MetricsServer {
    public let metrics = RunMetrics()
    public let faults: FaultMetrics
    public let endpoint: MetricsEndpoint

    public init(address: String, port: Int) throws {
        let metrics = self.metrics
        faults = FaultMetrics(registry: metrics.registry)
        endpoint = try MetricsEndpoint(address: address, port: port) { metrics.exposition() }
        FileHandle.standardError.write(Data("metrics: http://\(address):\(endpoint.port)/metrics\n".utf8))
    }
}
