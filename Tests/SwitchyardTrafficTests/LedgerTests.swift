import Foundation
import Testing
import SwitchyardModel
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// The ledger against hand-made routing and against the bytes the transports counted.
@Suite struct LedgerTests {
    let config = ModelPreset.tiny.config

    /// 3 tokens over 4 hosts of 32 contiguous experts each: token 0 all on host 0, token 1 one
    /// expert per host, token 2 two on host 0, one on hosts 1 and 3.
    var handMade: RoutingDecision {
        RoutingDecision(tokenCount: 3, topK: 4, experts: [0, 1, 2, 3, 0, 32, 64, 96, 1, 2, 33, 97],
                        weights: Array(repeating: 0.25, count: 12))
    }

    func cluster(hosts: Int = 4, payload: ActivationPayloads = .f32) throws -> InProcessCluster {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: hosts)
        return try InProcessCluster(config: config, placement: placement, source: SyntheticWeights(config: config, seed: 3), payload: payload)
    }

    @Test func handMadeRoutingGivesLoadsImbalanceAndDedupSavings() throws {
        let cluster = try cluster()
        let input = (0..<(3 * config.hiddenSize)).map { Float($0 % 7) / 7 }
        _ = try cluster.experts.routedExperts(layer: 1, input: input, tokens: 3, routing: handMade)
        cluster.stop()
        let summary = TrafficSummary(cluster.experts.traffic.ledger)
        #expect(summary.hostLoad.map(\.tokens) == [3, 2, 1, 2])
        #expect(summary.hostLoad.map(\.slots) == [7, 2, 1, 2])
        #expect(abs(summary.hostImbalance(layer: 1) - 7.0 / 3.0) < 1e-12)
        #expect(abs(summary.expertImbalance(layer: 1) - 2.0 / (12.0 / 128.0)) < 1e-9)
        // Four duplicate (token, expert) pairs on host 0, each a row header, a token index and two f32 rows.
        #expect(summary.bytesSavedByDeduplication == 4 * (8 + 4 + 2 * config.hiddenSize * 4))
        let host0 = WireLayout.dispatchFrameBytes(tokens: 3, pairs: 7, hidden: config.hiddenSize, type: .f32)
        #expect(summary.total[bytes: 0, 1] == host0)
        #expect(summary.total[bytes: 1, 0] == WireLayout.combineFrameBytes(tokens: 3, hidden: config.hiddenSize, type: .f32))
        #expect(summary.total[tokens: 0, 3] == 1)
        #expect(summary.ledger.expertTokens[1][0] == 2 && summary.ledger.expertTokens[1][97] == 1)
    }

    @Test func matrixSumsEqualLedgerTotals() throws {
        let cluster = try cluster(hosts: 8)
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: SyntheticWeights(config: config, seed: 3)))
        let requests = WorkloadRunner.syntheticRequests(count: 3, promptTokens: 5, newTokens: 3, vocabSize: config.vocabSize)
        _ = try WorkloadRunner(model: model, experts: cluster.experts).run(requests, maxBatch: 2)
        cluster.stop()
        let ledger = cluster.experts.traffic.ledger
        let summary = TrafficSummary(ledger)
        #expect(summary.total.totalBytes == ledger.wireBytes)
        #expect(summary.layers.reduce(0) { $0 + summary.perLayer[$1]!.totalBytes } == ledger.wireBytes)
        #expect(summary.hostLoad.reduce(0) { $0 + $1.dispatchBytes + $1.combineBytes } == ledger.wireBytes)
        #expect(ledger.wireBytes(.dispatch) == cluster.experts.totals.dispatchBytes.reduce(0, +))
        #expect(ledger.wireBytes(.combine) == cluster.experts.totals.combineBytes.reduce(0, +))
        #expect(summary.nodeLocality.intraNode == ledger.wireBytes && summary.nodeLocality.interNode == 0)
        // Every message timed at both ends once the hosts' records are merged.
        let merged = ledger.merging(cluster.hostRecords)
        #expect(merged.records.allSatisfy { $0.transitSeconds != nil })
        #expect(LinkThroughput.of(merged.records).allSatisfy { $0.bytesPerSecond != nil })
    }

    @Test func ledgerTotalsEqualWhatTheInProcessTransportMoved() throws {
        let cluster = try cluster(hosts: 4, payload: .bf16)
        let before = cluster.network.coordinatorCounters
        let routing = handMade
        for layer in 0..<config.numHiddenLayers {
            _ = try cluster.experts.routedExperts(layer: layer, input: Array(repeating: 0.5, count: 3 * config.hiddenSize), tokens: 3, routing: routing)
        }
        let after = cluster.network.coordinatorCounters
        cluster.stop()
        let ledger = cluster.experts.traffic.ledger
        #expect(after.sentBytes - before.sentBytes == ledger.wireBytes(.dispatch))
        #expect(after.receivedBytes - before.receivedBytes == ledger.wireBytes(.combine))
        #expect(after.sentMessages - before.sentMessages == ledger.records.filter { $0.kind == .dispatch }.count)
    }

    @Test func ledgerTotalsEqualWhatZeroMQMoved() throws {
        let hosts = 3
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-traffic-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let endpoints = (0..<hosts).map { "ipc://\(folder.path)/h\($0)" }
        let placement = try Placement(.roundRobin, experts: config.nRoutedExperts, hosts: hosts)
        let source = SyntheticWeights(config: config, seed: 4)
        let limits = WireLimits(config: config)
        let done = DispatchGroup()
        for host in 0..<hosts {
            nonisolated(unsafe) let transport = try ZeroMQHostTransport(endpoint: endpoints[host], host: host)
            let server = ExpertHostServer(index: host, config: config, placement: placement,
                                          experts: try RoutedExpertWeights(config: config, source: source, owned: placement.experts(of: host)),
                                          weightsFingerprint: source.fingerprint, transport: transport, limits: limits)
            done.enter()
            Thread {
                _ = try? server.serve()
                transport.close()
                done.leave()
            }.start()
        }
        let transport = try ZeroMQCoordinatorTransport(endpoints: endpoints)
        let experts = ClusterExperts(config: config, placement: placement, payload: .f32, transport: transport,
                                     weightsFingerprint: source.fingerprint, limits: limits)
        try experts.handshake(timeout: .seconds(20))
        let before = transport.counters
        let model = Mistral4Model(weights: try Mistral4Weights(config: config, source: source))
        let requests = WorkloadRunner.syntheticRequests(count: 2, promptTokens: 4, newTokens: 2, vocabSize: config.vocabSize)
        _ = try WorkloadRunner(model: model, experts: experts).run(requests, maxBatch: 2)
        let after = transport.counters
        experts.shutdown()
        _ = done.wait(timeout: .now() + 10)
        transport.close()
        let ledger = experts.traffic.ledger
        #expect(ledger.wireBytes(.dispatch) > 0)
        #expect(after.sentBytes - before.sentBytes == ledger.wireBytes(.dispatch))
        #expect(after.receivedBytes - before.receivedBytes == ledger.wireBytes(.combine))
    }
}
