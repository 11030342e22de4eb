import Foundation
import Testing
import SwitchyardCluster
import SwitchyardCore
import SwitchyardLaunch
import SwitchyardModelConfig
import SwitchyardRuntime
import SwitchyardTraffic

@Suite struct RunTrafficTests {
    @Test func everyLedgerOfARunSharesOneContextButItsWriter() throws {
        let folder = try ClusterFolder(hosts: 3)
        defer { folder.remove() }
        let spec = try ClusterSpec.load(path: folder.file)
        let config = ModelPreset.tiny.config
        let traffic = RunTraffic(spec: spec, config: config, transport: .zmq, directory: folder.url)
        #expect(traffic.context.writer == nil && traffic.context.hosts == 3 && traffic.context.layers == config.numHiddenLayers)
        #expect(traffic.context.cluster == folder.file && traffic.context.hostDevices == spec.hosts.map(\.device))
        var host2 = traffic.context(writer: 2)
        #expect(host2.writer == 2)
        host2.writer = nil
        #expect(host2 == traffic.context)
        #expect(TrafficJSONL.fileName(writer: nil) == "traffic.jsonl" && TrafficJSONL.fileName(writer: 2) == "traffic-host-2.jsonl")
    }

    @Test func hostLedgersAreWrittenAndReadBackByTheirNames() throws {
        let folder = try ClusterFolder(hosts: 2)
        defer { folder.remove() }
        let traffic = RunTraffic(config: ModelPreset.tiny.config, hosts: 2, payload: .f32, transport: .zmq, directory: folder.url.appendingPathComponent("run"))
        for host in 0..<2 {
            let recorder = traffic.recorder(writer: host)
            recorder.record(TrafficRecord(kind: .dispatch, step: 1, exchange: 7, layer: 1, host: Int32(host), tokens: 3, slots: 4,
                                          payloadBytes: 96, wireBytes: 200 + Int64(host), receiveNanos: 1000))
            try traffic.write(recorder.ledger)
        }
        let records = try RunTraffic.hostRecords(in: folder.url.appendingPathComponent("run"), hosts: 2)
        #expect(records.map(\.wireBytes) == [200, 201] && records.map(\.host) == [0, 1])
        let missing = folder.url.appendingPathComponent("run/traffic-host-2.jsonl").path
        let error = #expect(throws: TrafficFileError.self) { try RunTraffic.hostRecords(in: folder.url.appendingPathComponent("run"), hosts: 3) }
        #expect(error?.description == "\(missing): not found; expert host 2 did not write its ledger")
    }
}
