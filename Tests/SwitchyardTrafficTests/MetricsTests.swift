import Foundation
import Testing
import SwitchyardMetrics
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTraffic
import SwitchyardCore
import SwitchyardModelConfig

/// The metrics endpoint scraped over HTTP on loopback, as Prometheus would.
@Suite struct MetricsTests {
    let config = ModelPreset.tiny.config

    /// One HTTP/1.1 GET over a plain socket; the whole response.
    func get(_ path: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(connected == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test func aScrapeShowsBytesTokensLoadsAndLatencies() throws {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 4)
        let source = SyntheticWeights(config: config, seed: 9)
        let cluster = try InProcessCluster(config: config, placement: placement, source: source, payload: .f32)
        let metrics = RunMetrics()
        let endpoint = try MetricsEndpoint(port: 0) { metrics.exposition() }
        defer { endpoint.stop() }
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let requests = WorkloadRunner.syntheticRequests(count: 2, promptTokens: 4, newTokens: 3, vocabSize: config.vocabSize)
        _ = try WorkloadRunner(model: model, experts: cluster.experts).run(requests, maxBatch: 2) { _, _ in
            metrics.update(from: cluster.experts.traffic, stepSeconds: 0.003, generatedTokens: 2)
        }
        cluster.stop()
        let response = try get("/metrics", port: endpoint.port)
        #expect(response.hasPrefix("HTTP/1.1 200 OK"))
        #expect(response.contains("Content-Type: text/plain; version=0.0.4"))
        let body = response.components(separatedBy: "\r\n\r\n").dropFirst().joined()
        #expect(body.contains("# TYPE switchyard_exchange_bytes_total counter"))
        #expect(body.contains("switchyard_exchange_tokens_total{layer=\"1\",host=\"2\",direction=\"dispatch\"}"))
        #expect(body.contains("# TYPE switchyard_expert_load_tokens_total counter"))
        #expect(body.contains("switchyard_expert_load_tokens_total{layer=\"0\",expert="))
        #expect(body.contains("switchyard_step_seconds_count"), "\(body.split(separator: "\n").filter { $0.contains("step_seconds") })")
        #expect(body.contains("switchyard_exchange_seconds_count"))
        // The byte counters add up to the ledger.
        let total = body.split(separator: "\n").filter { $0.hasPrefix("switchyard_exchange_bytes_total{") }
            .reduce(0) { $0 + Int(Double($1.split(separator: " ").last!)!) }
        #expect(total == cluster.experts.traffic.ledger.wireBytes)
        // The expert-load counters, fed increments step by step, end at the recorder's totals.
        for layer in 0..<config.numHiddenLayers where config.isMoELayer(layer) {
            let counted = body.split(separator: "\n").filter { $0.hasPrefix("switchyard_expert_load_tokens_total{layer=\"\(layer)\",") }
                .reduce(0) { $0 + Int(Double($1.split(separator: " ").last!)!) }
            #expect(counted == cluster.experts.traffic.expertTokens(layer: layer).reduce(0, +))
            #expect(counted > 0)
        }
        #expect(try get("/other", port: endpoint.port).hasPrefix("HTTP/1.1 404"))
    }
}
