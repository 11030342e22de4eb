import Foundation
import SwitchyardMetrics

extension MetricsEndpointError: InputError {}

/// `--metrics-port`: the run's metrics and the endpoint serving them, announced on stderr.
struct MetricsServer {
    let metrics = RunMetrics()
    let endpoint: MetricsEndpoint

    init(address: String, port: Int) throws {
        let metrics = self.metrics
        endpoint = try MetricsEndpoint(address: address, port: port) { metrics.exposition() }
        FileHandle.standardError.write(Data("metrics: http://\(address):\(endpoint.port)/metrics\n".utf8))
    }
}
