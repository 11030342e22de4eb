import Foundation
import SwitchyardCluster
import SwitchyardModel
import SwitchyardTraffic
import SwitchyardModelConfig

/// An expert host's own ledger: what it received and answered, with its times.
enum HostTraffic {
    static func recorder(spec: ClusterSpec, config: ModelConfig, host: Int, transport: String) -> TrafficRecorder {
        var context = ClusterWorkload.trafficContext(spec: spec, config: config, transport: transport, payload: spec.payload.rawValue)
        context.writer = host
        return TrafficRecorder(context: context)
    }

    static func write(_ recorder: TrafficRecorder, host: Int, into directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try TrafficRun.write(recorder.ledger, host: host, into: url)
    }
}
