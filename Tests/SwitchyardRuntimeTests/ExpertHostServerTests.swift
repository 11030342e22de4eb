import Foundation
import Testing
import SwitchyardModel
@testable import SwitchyardWire
@testable import SwitchyardProtocol
import SwitchyardTransport
@testable import SwitchyardRuntime

/// A host answers bad frames with error frames and keeps serving.
@Suite struct ExpertHostServerTests {
    let config = ModelPreset.tiny.config

    @Test func badFramesAreAnsweredAndServingGoesOn() throws {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 2)
        let source = SyntheticWeights(config: config, seed: 4)
        let network = InProcessNetwork(hosts: 2)
        let limits = WireLimits(config: config)
        let server = ExpertHostServer(index: 1, config: config, placement: placement,
                                      experts: try RoutedExpertWeights(config: config, source: source, owned: placement.experts(of: 1)),
                                      weightsFingerprint: source.fingerprint, transport: network.host(1), limits: limits)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { _ = try? server.serve(); done.signal() }
        thread.start()
        let coordinator = network.coordinator
        let decoder = WireDecoder(limits: limits)
        func next() throws -> WireFrame {
            let message = try #require(try coordinator.receive(timeout: .seconds(10)))
            return try message.decode(with: decoder)
        }
        let valid = WireFrame(host: 1, body: .hello(Hello(config: config, placement: placement, host: 1, weightsFingerprint: source.fingerprint)))
        var corrupt = valid.encoded().contiguous()
        corrupt[20] ^= 0xFF
        for bytes in [[UInt8](repeating: 7, count: 3), corrupt, Array(valid.encoded().contiguous().prefix(40))] {
            try coordinator.send(EncodedFrame(header: bytes, metadata: [], payload: nil), to: 1)
            guard case let .error(failure) = try next().body else { Issue.record("expected an error frame"); continue }
            #expect(failure.code == .malformedFrame)
        }
        // Still serving: the handshake completes.
        try coordinator.send(valid.encoded(), to: 1)
        guard case let .hello(answer) = try next().body else { Issue.record("expected the host's hello"); return }
        #expect(answer.experts == placement.experts(of: 1))
        #expect(answer.residentBytes > 0)
        try coordinator.send(WireFrame(host: 1, body: .helloAck).encoded(), to: 1)
        // Heartbeats from its coordinator are answered.
        try coordinator.send(WireFrame(host: 1, body: .heartbeat).encoded(), to: 1)
        #expect(try next().kind == .heartbeat)
        try coordinator.send(WireFrame(host: 1, body: .shutdown).encoded(), to: 1)
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(server.statistics.badFrames == 3)
    }
}
