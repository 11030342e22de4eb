import Foundation
import SwitchyardCore
import Testing
import SwitchyardModel
import SwitchyardModelConfig
import SwitchyardProtocol
import SwitchyardTransport
@testable import SwitchyardWire
@testable import SwitchyardRuntime

/// The protocol in virtual time: handshakes, timeouts and stray, late, duplicate and reordered
/// frames, with the real drivers and encoded bytes, and no sleeping.
@Suite struct EmbeddedProtocolTests {
    @Test func handshakeIsAcceptedAndTheExchangeMatchesOneProcess() throws {
        let cluster = try EmbeddedCluster(hosts: 4)
        let hosts = try cluster.coordinator.handshake(timeout: .seconds(30))
        #expect(hosts.map(\.host) == [0, 1, 2, 3])
        #expect(hosts.map(\.experts) == (0..<4).map(cluster.placement.experts(of:)))
        cluster.network.runHosts(until: cluster.network.clock.now() + .milliseconds(1))
        for server in cluster.servers { #expect(server.session.acceptedPeer == EmbeddedNetwork.peer(ofCoordinator: 0)) }
        let (input, routing) = cluster.batch(tokens: 6)
        let output = try cluster.exchange(input, routing)
        let reference = try cluster.reference(input, routing)
        #expect(maxDifference(output, reference) <= 1e-5 * reference.map(abs).max()!)
        #expect(cluster.servers.map(\.statistics.dispatches).reduce(0, +) == cluster.coordinator.totals.dispatchMessages.reduce(0, +))
    }

    @Test func aHostWithOtherWeightsIsRefusedAndLearnsNoFingerprint() throws {
        let cluster = try EmbeddedCluster(hosts: 3, hostSeed: { $0 == 2 ? 99 : 7 })
        let hostFingerprint = SyntheticWeights(config: cluster.config, seed: 99).fingerprint
        #expect {
            try cluster.coordinator.handshake(timeout: .seconds(30))
        } throws: { error in
            guard let failure = error as? ClusterFailure, case let .hostRefused(host, message) = failure.reason else { return false }
            return host == 2 && message.contains("weights fingerprint differs") && !message.contains(hostFingerprint)
                && !message.contains(cluster.source.fingerprint)
        }
        // The host refused too, and its refusal named the field, not the coordinator's values.
        #expect(cluster.servers[2].session.acceptedPeer == nil)
        #expect(cluster.servers[2].statistics.refusedHellos >= 1)
    }

    @Test func aHostThatStartsLateIsReachedByTheResentHello() throws {
        let cluster = try EmbeddedCluster(hosts: 3, attached: false)
        cluster.network.attach(cluster.servers[0])
        cluster.network.attach(cluster.servers[1])
        let start = cluster.network.clock.now()
        // Host 2 comes up 2.5 s in; hellos go again every second.
        cluster.network.fault = { envelope in
            if envelope.host == 2, cluster.network.clock.now() - start >= .milliseconds(2500) { cluster.network.attach(cluster.servers[2]) }
            return [cluster.network.latency]
        }
        let wall = ContinuousClock.now
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let took = cluster.network.clock.now() - start
        #expect(took >= .seconds(3) && took < .seconds(4), "\(took)")
        #expect(ContinuousClock.now - wall < .seconds(5))
    }

    @Test func aSilentHostFailsTheHandshakeAtItsDeadline() throws {
        let cluster = try EmbeddedCluster(hosts: 3)
        cluster.network.silentHosts = [1]
        let start = cluster.network.clock.now()
        #expect {
            try cluster.coordinator.handshake(timeout: .seconds(20))
        } throws: { error in
            guard let failure = error as? ClusterFailure, case let .handshakeTimeout(missing, busy, _) = failure.reason else { return false }
            return missing == [1] && busy.isEmpty && "\(failure)".contains("no handshake within 20.0 seconds from expert host(s) 1")
        }
        let took = cluster.network.clock.now() - start
        #expect(took >= .seconds(20) && took < .seconds(21), "\(took)")
    }

    @Test func aHostThatLosesDispatchesFailsTheExchangeAtItsTimeout() throws {
        let cluster = try EmbeddedCluster(hosts: 4, exchangeTimeout: .seconds(45))
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 16)
        // Host 3 answers heartbeats, so it is alive, but its dispatches never arrive.
        cluster.network.fault = { envelope in envelope.host == 3 && envelope.kind == .dispatch ? [] : [.microseconds(10)] }
        let start = cluster.network.clock.now()
        let wall = ContinuousClock.now
        #expect {
            _ = try cluster.exchange(input, routing)
        } throws: { error in
            guard let failure = error as? ClusterFailure, case let .exchangeTimeout(layer, missing, _) = failure.reason else { return false }
            return layer == cluster.moeLayer && missing == [3]
        }
        let took = cluster.network.clock.now() - start
        #expect(took >= .seconds(45) && took < .seconds(46), "\(took)")
        #expect(ContinuousClock.now - wall < .seconds(5), "virtual time, not real waiting")
        #expect(cluster.coordinator.session.lostHosts.isEmpty)
    }

    @Test func aSilentHostIsDeclaredLostWithinTheDeathWindowAndItsExpertsWaitForItsReturn() throws {
        var settings = CoordinatorSession.Settings()
        settings.rejoinWait = .seconds(5)
        let cluster = try EmbeddedCluster(hosts: 4, settings: settings)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 16)
        cluster.network.silentHosts = [3]
        let start = cluster.network.clock.now()
        #expect {
            _ = try cluster.exchange(input, routing)
        } throws: { error in
            guard let failure = error as? ClusterFailure, case let .hostLost(host, reason) = failure.reason else { return false }
            return host == 3 && reason.contains("no live host after waiting 5.0 seconds")
        }
        guard case let .lost(reason)? = cluster.coordinator.events.first?.kind, let declared = cluster.coordinator.events.first?.at else {
            Issue.record("no loss recorded: \(cluster.coordinator.events)"); return
        }
        #expect(reason.contains("answered nothing"))
        #expect(declared - start <= .seconds(1), "declared \(declared - start) after the dispatch")
        #expect(cluster.network.clock.now() - start < .seconds(7))
    }

    @Test func aLostHostFailsTheExchangeAtOnceWhenNothingMayWait() throws {
        var settings = CoordinatorSession.Settings()
        settings.rejoinWait = .zero
        let cluster = try EmbeddedCluster(hosts: 4, settings: settings)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        cluster.network.silentHosts = [2]
        var reported = false
        cluster.coordinator.lostHosts = {
            defer { reported = true }
            return reported ? [] : [(2, "its process was killed by SIGKILL")]
        }
        let start = cluster.network.clock.now()
        let (input, routing) = cluster.batch(tokens: 16)
        #expect {
            _ = try cluster.exchange(input, routing)
        } throws: { error in
            guard let failure = error as? ClusterFailure, case let .hostLost(host, reason) = failure.reason else { return false }
            return host == 2 && reason.contains("SIGKILL")
        }
        #expect(cluster.network.clock.now() - start < .seconds(1))
    }

    @Test(arguments: [false, true])
    func withReplicasALostHostsPairsGoElsewhereInTheSameStep(processExit: Bool) throws {
        let cluster = try EmbeddedCluster(hosts: 8, replicas: 2)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 24)
        let reference = try cluster.reference(input, routing)
        #expect(maxDifference(try cluster.exchange(input, routing), reference) <= 1e-5 * reference.map(abs).max()!)
        // Host 5 hangs (or its process is seen to exit) with the next dispatch in flight.
        cluster.network.silentHosts = [5]
        if processExit {
            var told = false
            cluster.coordinator.lostHosts = {
                defer { told = true }
                return told ? [] : [(5, "its process was killed by SIGKILL")]
            }
        }
        let start = cluster.network.clock.now()
        let output = try cluster.exchange(input, routing)
        #expect(maxDifference(output, reference) <= 1e-5 * reference.map(abs).max()!)
        #expect(cluster.network.clock.now() - start <= .seconds(1))
        #expect(cluster.coordinator.session.statistics.resentBytes > 0)
        #expect(cluster.coordinator.events.contains { if case .failedOver = $0.kind { $0.host == 5 } else { false } })
        // Later exchanges plan around the lost host from the start.
        let resent = cluster.coordinator.session.statistics.resentDispatches
        #expect(maxDifference(try cluster.exchange(input, routing), reference) <= 1e-5 * reference.map(abs).max()!)
        #expect(cluster.coordinator.session.statistics.resentDispatches == resent)
        #expect(cluster.servers[5].statistics.dispatches == 1)
    }

    @Test func aRestartedHostRejoinsAndTheWaitingPairsAreServed() throws {
        let cluster = try EmbeddedCluster(hosts: 4)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 16)
        let reference = try cluster.reference(input, routing)
        let oldIncarnation = cluster.coordinator.hosts[1].incarnation
        cluster.network.silentHosts = [1]
        let start = cluster.network.clock.now()
        // Host 1 hangs; 3 s later a new process takes its place (as `switchyard run` or systemd restarts it).
        cluster.network.fault = { envelope in
            if cluster.network.silentHosts.contains(1), cluster.network.clock.now() - start >= .seconds(3) {
                cluster.network.silentHosts = []
                _ = try? cluster.restart(1)
            }
            return [cluster.network.latency]
        }
        let output = try cluster.exchange(input, routing)
        #expect(maxDifference(output, reference) <= 1e-5 * reference.map(abs).max()!)
        let kinds = cluster.coordinator.events.map(\.kind)
        #expect(kinds.contains { if case .lost = $0 { true } else { false } })
        #expect(kinds.contains { if case .rejoined = $0 { true } else { false } })
        #expect(cluster.coordinator.hosts[1].incarnation != oldIncarnation)
        #expect(cluster.coordinator.session.lostHosts.isEmpty)
        #expect(maxDifference(try cluster.exchange(input, routing), reference) <= 1e-5 * reference.map(abs).max()!)
    }

    /// A host restarted at its address between two exchanges, before any silence showed it: the
    /// new process answers the next dispatch with "before a completed handshake". That host is
    /// lost, not the run: hellos bring the new process in and its pairs are served by it.
    @Test func aHostRestartedUnnoticedAnswersItsDispatchAndRejoins() throws {
        let cluster = try EmbeddedCluster(hosts: 4)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 16)
        let reference = try cluster.reference(input, routing)
        let oldIncarnation = cluster.coordinator.hosts[1].incarnation
        let replacement = try cluster.restart(1)
        let output = try cluster.exchange(input, routing)
        #expect(maxDifference(output, reference) <= 1e-5 * reference.map(abs).max()!)
        let events = cluster.coordinator.events
        #expect(events.contains { if case let .lost(reason) = $0.kind { $0.host == 1 && reason.contains("no longer knows this coordinator") } else { false } },
                "\(events)")
        #expect(events.contains { if case .rejoined = $0.kind { $0.host == 1 } else { false } })
        #expect(cluster.coordinator.hosts[1].incarnation != oldIncarnation)
        #expect(replacement.statistics.dispatches >= 1 && cluster.coordinator.session.lostHosts.isEmpty)
    }

    @Test func heartbeatsKeepAnIdleClusterAlive() throws {
        let cluster = try EmbeddedCluster(hosts: 3)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        try cluster.coordinator.keepAlive(timeout: .seconds(30))
        #expect(cluster.coordinator.session.lostHosts.isEmpty)
        #expect(cluster.coordinator.session.statistics.heartbeats >= 3 * 100)
        #expect(cluster.servers.allSatisfy { $0.statistics.heartbeats >= 100 })
        // A host that hangs while the coordinator idles is declared lost within the death window.
        cluster.network.silentHosts = [2]
        let start = cluster.network.clock.now()
        try cluster.coordinator.keepAlive(timeout: .seconds(3))
        let lost = try #require(cluster.coordinator.events.first)
        #expect(lost.host == 2 && lost.at - start <= .seconds(1))
    }

    @Test func duplicateCombinesAreDroppedAndCounted() throws {
        let cluster = try EmbeddedCluster(hosts: 4)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        cluster.network.fault = { envelope in
            envelope.direction == .toCoordinator && envelope.host == 1 ? [.microseconds(10), .microseconds(20)] : [.microseconds(10)]
        }
        let (input, routing) = cluster.batch(tokens: 8)
        let first = try cluster.exchange(input, routing)
        let second = try cluster.exchange(input, routing)
        let reference = try cluster.reference(input, routing)
        #expect(first == second)
        #expect(maxDifference(first, reference) <= 1e-5 * reference.map(abs).max()!)
        // The first exchange's second copy arrives after it completed: stray; the second's while open: duplicate.
        let statistics = cluster.coordinator.session.statistics
        #expect(statistics.duplicateFrames + statistics.strayFrames >= 1)
    }

    @Test func reorderedCombinesGiveTheSameBits() throws {
        let inOrder = try EmbeddedCluster(hosts: 8)
        try inOrder.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = inOrder.batch(tokens: 12)
        let expected = try inOrder.exchange(input, routing)

        let reversed = try EmbeddedCluster(hosts: 8)
        try reversed.coordinator.handshake(timeout: .seconds(30))
        // Host 7's answer first, host 0's last.
        reversed.network.fault = { envelope in
            envelope.direction == .toCoordinator ? [.microseconds(100 * (9 - envelope.host))] : [.microseconds(10)]
        }
        #expect(try reversed.exchange(input, routing) == expected)
    }

    @Test func aLateCombineFailsItsExchangeAndIsStrayAfterwards() throws {
        let cluster = try EmbeddedCluster(hosts: 4, exchangeTimeout: .seconds(2))
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 16)
        cluster.network.fault = { envelope in
            envelope.direction == .toCoordinator && envelope.host == 0 && envelope.kind == .combine ? [.seconds(3)] : [.microseconds(10)]
        }
        #expect(throws: ClusterFailure.self) { _ = try cluster.exchange(input, routing) }
        cluster.network.fault = nil
        // The next exchange completes; the late answer to the failed one arrives meanwhile and is dropped.
        cluster.network.clock.advance(by: .seconds(2))
        let output = try cluster.exchange(input, routing)
        let reference = try cluster.reference(input, routing)
        #expect(maxDifference(output, reference) <= 1e-5 * reference.map(abs).max()!)
        #expect(cluster.coordinator.session.statistics.strayFrames >= 1)
    }

    @Test func strayFramesNeverDisturbAnExchange() throws {
        let cluster = try EmbeddedCluster(hosts: 4)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 8)
        let reference = try cluster.reference(input, routing)
        // A hello after the handshake, a combine for an exchange never opened, a malformed frame,
        // and a combine that names host 2 arriving over host 1's link.
        let hello = Hello(config: cluster.config, placement: cluster.placement, host: 1, weightsFingerprint: "stranger")
        cluster.network.inject(toCoordinator: 0, overLinkOf: 1, WireFrame(host: 1, body: .hello(hello)).encoded())
        let rows = ActivationRows(rows: 1, width: cluster.config.hiddenSize, floats: [Float](repeating: 1, count: cluster.config.hiddenSize), as: .f32)
        let bogus = WireFrame(address: FrameAddress(step: 999, layer: cluster.moeLayer), host: 1, body: .combine(Combine(tokens: [0], partialSums: rows)))
        cluster.network.inject(toCoordinator: 0, overLinkOf: 1, bogus.encoded())
        cluster.network.inject(toCoordinator: 0, overLinkOf: 1, EncodedFrame(header: [1, 2, 3], metadata: [], payload: nil))
        var misattributed = bogus
        misattributed.host = 2
        misattributed.address = FrameAddress(step: 1, layer: cluster.moeLayer)
        cluster.network.inject(toCoordinator: 0, overLinkOf: 1, misattributed.encoded())
        let output = try cluster.exchange(input, routing)
        #expect(maxDifference(output, reference) <= 1e-5 * reference.map(abs).max()!)
        let statistics = cluster.coordinator.session.statistics
        #expect(statistics.strayFrames == 2)
        #expect(statistics.badFrames == 1)
        #expect(statistics.misattributedFrames == 1)
    }

    @Test func aSecondCoordinatorMidRunChangesNothing() throws {
        let cluster = try EmbeddedCluster(hosts: 4)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        let (input, routing) = cluster.batch(tokens: 8)
        let before = try cluster.exchange(input, routing)
        // A second coordinator says hello, then acks, dispatches and shuts down without having been greeted.
        let stranger = 1
        let hello = Hello(config: cluster.config, placement: cluster.placement, host: 0, weightsFingerprint: cluster.source.fingerprint)
        cluster.network.inject(toHost: 0, fromCoordinator: stranger, WireFrame(host: 0, body: .hello(hello)).encoded())
        cluster.network.runHosts(until: cluster.network.clock.now() + .milliseconds(1))
        let answers = try cluster.network.take(forCoordinator: stranger).map { try $0.decode(with: WireDecoder(limits: WireLimits(config: cluster.config))) }
        guard case let .error(failure)? = answers.first?.body else { Issue.record("expected a refusal, got \(answers)"); return }
        #expect(failure.code == .busy)
        for body in [WireBody.helloAck, .shutdown, .heartbeat] {
            cluster.network.inject(toHost: 0, fromCoordinator: stranger, WireFrame(host: 0, body: body).encoded())
        }
        cluster.network.runHosts(until: cluster.network.clock.now() + .milliseconds(1))
        #expect(!cluster.network.hasStopped(0))
        #expect(cluster.servers[0].session.acceptedPeer == EmbeddedNetwork.peer(ofCoordinator: 0))
        #expect(cluster.servers[0].statistics.unauthorisedFrames == 3)
        #expect(cluster.network.take(forCoordinator: stranger).isEmpty, "a stranger gets no answer")
        #expect(try cluster.exchange(input, routing) == before)
    }

    @Test func aSilentCoordinatorIsReplacedByTheNextOne() throws {
        let first = try EmbeddedCluster(hosts: 2)
        try first.coordinator.handshake(timeout: .seconds(30))
        // The first coordinator goes away without a word; a second one connects to the same hosts.
        let second = ClusterExperts(config: first.config, placement: first.placement, payload: .f32, transport: first.network.coordinator(1),
                                    weightsFingerprint: first.source.fingerprint, limits: WireLimits(config: first.config),
                                    clock: first.network.clock)
        let start = first.network.clock.now()
        try second.handshake(timeout: .seconds(30))
        first.network.runHosts(until: first.network.clock.now() + .milliseconds(1))
        // Refused as busy until the first had been silent for the hosts' window, then accepted.
        #expect(first.network.clock.now() - start >= HostProtocol.Settings().coordinatorSilence)
        #expect(first.servers[0].session.acceptedPeer == EmbeddedNetwork.peer(ofCoordinator: 1))
        let (input, routing) = first.batch(tokens: 4)
        let output = try second.routedExperts(layer: first.moeLayer, input: input, tokens: 4, routing: routing)
        let reference = try first.reference(input, routing)
        #expect(maxDifference(output, reference) <= 1e-5 * reference.map(abs).max()!)
    }

    @Test func shutdownStopsEveryHost() throws {
        let cluster = try EmbeddedCluster(hosts: 3)
        try cluster.coordinator.handshake(timeout: .seconds(30))
        cluster.coordinator.shutdown()
        cluster.network.runHosts(until: cluster.network.clock.now() + .milliseconds(1))
        #expect((0..<3).allSatisfy(cluster.network.hasStopped))
    }
}

extension EmbeddedProtocolTests {
    /// A flood of bad frames is answered each time but logged only at the first few and at powers of two.
    @Test func badFramesAreLoggedSparingly() throws {
        let config = ModelPreset.tiny.config
        let placement = try Placement(.contiguous, experts: config.nRoutedExperts, hosts: 1)
        var host = HostProtocol(host: 0, hello: Hello(config: config, placement: placement, host: 0, weightsFingerprint: "w"),
                                limits: WireLimits(config: config))
        var logged = 0, answered = 0
        for _ in 0..<1000 {
            for directive in host.receive(ReceivedMessage(host: 0, peer: PeerID(number: 7), parts: [[1, 2, 3]]), at: ProtocolTime(nanoseconds: 0)) {
                switch directive {
                case .log: logged += 1
                case .send: answered += 1
                default: break
                }
            }
        }
        #expect(answered == 1000)
        #expect(logged == 8 + 6, "the 1st…8th, then the 16th, 32nd, 64th, 128th, 256th and 512th: \(logged)")
        #expect(host.statistics.badFrames == 1000)
    }
}
