import Foundation
import Testing
import SwitchyardModel
@testable import SwitchyardWire
@testable import SwitchyardProtocol
import SwitchyardTransport
@testable import SwitchyardRuntime
import SwitchyardCore
import SwitchyardModelConfig

/// A bounded property test in `make test`: a live host session takes hundreds of mutated frames
/// (a third resealed with a valid checksum, so validation behind the CRC is reached) without
/// trapping, and afterwards still completes a handshake and answers a dispatch.
@Suite struct HostSessionFuzzTests {
    let config = ModelPreset.tiny.config

    @Test func mutatedFramesNeverStopAHostFromServing() throws {
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 2)
        let source = SyntheticWeights(config: config, seed: 4)
        let network = InProcessNetwork(hosts: 2)
        let limits = WireLimits(config: config, maxTokens: 64, maxHosts: 2)
        let server = ExpertHostServer(index: 1, config: config, placement: placement,
                                      experts: try RoutedExpertWeights(config: config, source: source, owned: placement.experts(of: 1)),
                                      weightsFingerprint: source.fingerprint, transport: network.host(1), limits: limits)
        let done = DispatchSemaphore(value: 0)
        Thread { _ = try? server.serve(); done.signal() }.start()
        let coordinator = network.coordinator
        let decoder = WireDecoder(limits: limits)

        let hello = WireFrame(host: 1, body: .hello(Hello(config: config, placement: placement, host: 1, weightsFingerprint: source.fingerprint)))
        var routes = TokenRoutes()
        let owned = placement.experts(of: 1)
        for token in 0..<3 {
            routes.beginRow(token: UInt32(token))
            routes.appendPair(expert: UInt32(owned[token % owned.count]), weight: 0.5)
        }
        let rows = ActivationRows(rows: 3, width: config.hiddenSize, floats: (0..<(3 * config.hiddenSize)).map { Float($0 % 11) / 11 }, as: .f32)
        let dispatch = WireFrame(address: FrameAddress(step: 1, layer: config.firstKDenseReplace), host: 1,
                                 body: .dispatch(Dispatch(routes: routes, activations: rows)))
        let originals = [hello, dispatch, WireFrame(host: 1, body: .helloAck), WireFrame(host: 1, body: .heartbeat)].map { $0.encoded().contiguous() }

        var random = SplitMix64(seed: 0x4057)
        var sent = 0
        while sent < 400 {
            var bytes = originals[Int(random.next() % UInt64(originals.count))]
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let at = Int(random.next() % UInt64(min(bytes.count, 128)))
                switch random.next() % 3 {
                case 0: bytes[at] ^= 1 << UInt8(random.next() % 8)
                case 1: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                default: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(random.next() % 8)))
                }
                if bytes.count < 8 { break }
            }
            if random.next() % 3 == 0, bytes.count >= 64 {
                var crc = CRC32C()
                crc.update(Array(bytes[0..<60]))
                crc.update(Array(bytes[64...]))
                withUnsafeBytes(of: crc.value.littleEndian) { for i in 0..<4 { bytes[60 + i] = $0[i] } }
            }
            // A mutation that still decodes to a shutdown would end the session legitimately.
            if case .shutdown = (try? decoder.decode(bytes))?.body { continue }
            try coordinator.send(EncodedFrame(header: bytes, metadata: [], payload: nil), to: 1)
            sent += 1
            while (try? coordinator.receive(timeout: .zero)) != nil {}
        }
        // Whatever the garbage did, once it is drained the host serves a proper session.
        while (try? coordinator.receive(timeout: .milliseconds(300))) != nil {}
        #expect(server.statistics.badFrames > 200, "\(server.statistics.badFrames) of \(sent) frames counted bad")

        func next() throws -> WireFrame {
            let message = try #require(try coordinator.receive(timeout: .seconds(10)))
            return try message.decode(with: decoder)
        }
        try coordinator.send(hello.encoded(), to: 1)
        guard case let .hello(answer) = try next().body else { Issue.record("expected the host's hello"); return }
        #expect(answer.experts == owned)
        try coordinator.send(WireFrame(host: 1, body: .helloAck).encoded(), to: 1)
        try coordinator.send(dispatch.encoded(), to: 1)
        guard case let .combine(combine) = try next().body else { Issue.record("expected a combine"); return }
        #expect(combine.tokens == [0, 1, 2])
        try coordinator.send(WireFrame(host: 1, body: .shutdown).encoded(), to: 1)
        #expect(done.wait(timeout: .now() + 10) == .success)
    }
}
