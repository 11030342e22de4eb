import Foundation
import Testing
import SwitchyardModel
import SwitchyardWire
import SwitchyardProtocol
@testable import SwitchyardTransport
@testable import SwitchyardRuntime
import SwitchyardCore
import SwitchyardModelConfig

/// Real ZeroMQ sockets between threads of this process: an expert host as a CURVE server that
/// admits one coordinator key, its coordinator, and strangers without the key.
@Suite(.serialized) struct CurveAuthenticationTests {
    let config = ModelPreset.tiny.config
    let source = SyntheticWeights(config: ModelPreset.tiny.config, seed: 9)

    enum Stranger: CaseIterable, Sendable { case nullMechanism, unlistedCurveKey }

    final class RunningHost: @unchecked Sendable {
        let server: ExpertHostServer
        let transport: ZeroMQHostTransport
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var stopping = false
        init(server: ExpertHostServer, transport: ZeroMQHostTransport) {
            self.server = server
            self.transport = transport
            Thread { [self] in _ = try? server.serve(poll: .milliseconds(20)) { lock.withLock { stopping } }; done.signal() }.start()
        }
        func stop() { lock.withLock { stopping = true } }
    }

    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sy-curve-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    var placement: Placement { get throws { try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 1) } }

    func startHost(at endpoint: String, security: ZeroMQSecurity?) throws -> RunningHost {
        let placement = try placement
        let transport = try ZeroMQHostTransport(endpoint: endpoint, host: 0, security: security)
        let server = ExpertHostServer(index: 0, config: config, placement: placement,
                                      experts: try RoutedExpertWeights(config: config, source: source, owned: placement.experts(of: 0)),
                                      weightsFingerprint: source.fingerprint, transport: transport, limits: WireLimits(config: config))
        return RunningHost(server: server, transport: transport)
    }

    func coordinator(at endpoint: String, security: ZeroMQSecurity?) throws -> (ClusterExperts, ZeroMQCoordinatorTransport) {
        let transport = try ZeroMQCoordinatorTransport(endpoints: [endpoint], security: security)
        return (ClusterExperts(config: config, placement: try placement, payload: .f32, transport: transport, weightsFingerprint: source.fingerprint,
                               limits: WireLimits(config: config), exchangeTimeout: .seconds(10)), transport)
    }

    func exchange(_ experts: ClusterExperts) throws -> [Float] {
        let layer = (0..<config.numHiddenLayers).first(where: config.isMoELayer)!
        let routing = RuntimeSamples.routing(tokens: 3, topK: config.numExpertsPerTok, experts: config.nRoutedExperts, seed: 5)
        return try experts.routedExperts(layer: layer, input: RuntimeSamples.activations(tokens: 3, hidden: config.hiddenSize, seed: 6),
                                         tokens: 3, routing: routing)
    }

    /// Everything a coordinator could say, from a socket with `stranger`'s credentials; the
    /// answers that came back, read until none came for half a second.
    func attack(_ endpoint: String, as stranger: Stranger, hostKey: String) throws -> Int {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, kind: .dealer)
        defer { socket.close() }
        try socket.setSendTimeout(milliseconds: 300)
        if stranger == .unlistedCurveKey {
            // Knows the host's public key (it is in the cluster file) but has its own client key.
            try ZeroMQSecurity.curveClient(try CurveKeyPair.generate(), serverKeys: [hostKey]).applyClient(to: socket, host: 0)
        }
        try socket.connect(endpoint)
        let placement = try placement
        let hello = Hello(config: config, placement: placement, host: 0, weightsFingerprint: source.fingerprint)
        var routes = TokenRoutes()
        routes.beginRow(token: 0)
        routes.appendPair(expert: 1, weight: 1)
        let dispatch = Dispatch(routes: routes, activations: ActivationRows(rows: 1, width: config.hiddenSize,
                                                                           floats: [Float](repeating: 1, count: config.hiddenSize), as: .f32))
        let layer = (0..<config.numHiddenLayers).first(where: config.isMoELayer)!
        let bodies: [WireBody] = [.hello(hello), .helloAck, .dispatch(dispatch), .heartbeat, .shutdown]
        for body in bodies {
            let address = FrameAddress(step: 1, layer: body.kind == .dispatch ? layer : 0)
            try? socket.send(WireFrame(address: address, host: 0, body: body).encoded().zmqParts)
        }
        var answers = 0
        while try socket.poll(timeoutMilliseconds: 500) {
            _ = try socket.receive(timeoutMilliseconds: 0)
            answers += 1
        }
        return answers
    }

    @Test(arguments: Stranger.allCases)
    func aStrangerWithoutTheCoordinatorKeyGetsNothingProcessed(_ stranger: Stranger) throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let endpoint = "ipc://\(folder)/host-0"
        let coordinatorPair = try CurveKeyPair.generate(), hostPair = try CurveKeyPair.generate()
        let host = try startHost(at: endpoint, security: .curveServer(secretKey: hostPair.secretKey, admittedClients: [coordinatorPair.publicKey]))
        let (experts, transport) = try coordinator(at: endpoint, security: .curveClient(coordinatorPair, serverKeys: [hostPair.publicKey]))
        defer { transport.close() }
        try experts.handshake(timeout: .seconds(10))
        let before = try exchange(experts)

        #expect(try attack(endpoint, as: stranger, hostKey: hostPair.publicKey) == 0, "the stranger got an answer")
        // Its shutdown stopped nothing, and its hello did not take the host away from its coordinator.
        #expect(host.done.wait(timeout: .now() + .milliseconds(300)) == .timedOut, "the host stopped")
        #expect(try exchange(experts) == before)
        experts.shutdown()
        #expect(host.done.wait(timeout: .now() + 10) == .success)
        host.transport.close()

        let statistics = host.server.statistics
        // Exactly what the coordinator caused: two dispatches, no refusals, nothing unauthorised or malformed.
        #expect(statistics.dispatches == 2)
        #expect(statistics.refusedHellos == 0 && statistics.unauthorisedFrames == 0 && statistics.badFrames == 0, "\(statistics)")
        if stranger == .unlistedCurveKey { #expect(host.transport.authentication.refused >= 1) }
        #expect(host.transport.authentication.admitted >= 1)
    }

    /// The probe is real: the same stranger against a host without CURVE gets frames processed.
    @Test func theSameStrangerReachesAPlaintextHost() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let endpoint = "ipc://\(folder)/host-0"
        let host = try startHost(at: endpoint, security: nil)
        let (experts, transport) = try coordinator(at: endpoint, security: nil)
        defer { transport.close() }
        try experts.handshake(timeout: .seconds(10))
        // An answered dispatch: the host has taken the coordinator's ack, so it serves it alone.
        _ = try exchange(experts)
        // Refused as busy, and its ack, dispatch, heartbeat and shutdown counted as unauthorised.
        // The busy refusal of its hello and the error answering its dispatch come back.
        #expect(try attack(endpoint, as: .nullMechanism, hostKey: "") == 2)
        experts.shutdown()
        #expect(host.done.wait(timeout: .now() + 10) == .success)
        host.transport.close()
        #expect(host.server.statistics.refusedHellos == 1)
        #expect(host.server.statistics.unauthorisedFrames >= 2)
    }

    @Test func aFakeHostWithoutTheHostKeyNeverCompletesTheHandshake() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let endpoint = "ipc://\(folder)/host-0"
        let coordinatorPair = try CurveKeyPair.generate(), hostPair = try CurveKeyPair.generate(), fakePair = try CurveKeyPair.generate()
        // The fake holds the same model and weights, admits the coordinator, and would answer every
        // frame correctly; it only lacks the host's secret key.
        let fake = try startHost(at: endpoint, security: .curveServer(secretKey: fakePair.secretKey, admittedClients: [coordinatorPair.publicKey]))
        let (experts, transport) = try coordinator(at: endpoint, security: .curveClient(coordinatorPair, serverKeys: [hostPair.publicKey]))
        defer { transport.close() }
        var failure: (any Error)?
        do { try experts.handshake(timeout: .seconds(1)) } catch { failure = ZeroMQHandshakeFailure.explain(error, transport: transport) }
        let message = "\(failure.map { "\($0)" } ?? "the handshake completed")"
        #expect(message.contains("no handshake within"), "\(message)")
        #expect(message.contains("CURVE handshake never completed"), "\(message)")
        fake.stop()
        #expect(fake.done.wait(timeout: .now() + 10) == .success)
        fake.transport.close()
        let statistics = fake.server.statistics
        #expect(statistics.dispatches + statistics.badFrames + statistics.refusedHellos + statistics.heartbeats + statistics.unauthorisedFrames == 0,
                 "the fake host received a frame: \(statistics)")
        #expect(fake.server.session.peers.isEmpty)
    }

    @Test func zapAnswersOnlyListedCurveClients() throws {
        let listed = try CurveKeyPair.generate(), other = try CurveKeyPair.generate()
        func request(_ mechanism: String, _ credentials: [[UInt8]]) -> [[UInt8]] {
            [Array("1.0".utf8), Array("7".utf8), Array("switchyard".utf8), Array("127.0.0.1".utf8), [], Array(mechanism.utf8)] + credentials
        }
        func binary(_ z85: String) -> [UInt8] { CurveKeyPair.binary(z85)! }
        let admitted: Set<String> = [listed.publicKey]
        let yes = ZAPHandler.answer(request("CURVE", [binary(listed.publicKey)]), admitted: admitted)
        #expect(yes.admitted && yes.parts[2] == Array("200".utf8) && yes.parts[1] == Array("7".utf8))
        for refused in [request("CURVE", [binary(other.publicKey)]), request("NULL", []), request("PLAIN", [Array("u".utf8), Array("p".utf8)]),
                        [Array("2.0".utf8)], request("CURVE", [[1, 2, 3]])] {
            let answer = ZAPHandler.answer(refused, admitted: admitted)
            #expect(!answer.admitted && answer.parts[2] == Array("400".utf8), "\(answer.statusText)")
            #expect(answer.parts.count == 6)
        }
    }
}
