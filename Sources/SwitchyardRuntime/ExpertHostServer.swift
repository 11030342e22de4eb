import Foundation
import SwitchyardModel
import SwitchyardTraffic
import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// An expert host: holds its slice of the routed experts for every layer and answers the
/// coordinator's frames until told to stop. A bad frame is answered with an error frame and
/// counted; serving goes on.
/// Owned by the one thread that serves; it is handed over to that thread once, before `serve`.
public final class ExpertHostServer: @unchecked Sendable {
    public struct Statistics: Sendable, Equatable {
        public var dispatches = 0
        public var badFrames = 0
        public var refusedHellos = 0
        public var heartbeats = 0
    }

    public let index: Int
    let config: ModelConfig
    let placement: Placement
    let experts: RoutedExpertWeights
    let weightsFingerprint: String
    let transport: HostTransport
    let decoder: WireDecoder
    let computation: HostComputation
    let log: (String) -> Void
    public private(set) var statistics = Statistics()
    /// When set, every dispatch received and combine sent, with this host's times.
    public var traffic: TrafficRecorder?
    private var accepted = false
    private var receivedAt: Int64 = 0
    private var receivedBytes = 0

    public init(index: Int, config: ModelConfig, placement: Placement, experts: RoutedExpertWeights,
                weightsFingerprint: String, transport: HostTransport, limits: WireLimits,
                log: @escaping (String) -> Void = { _ in }) {
        self.index = index
        self.config = config
        self.placement = placement
        self.experts = experts
        self.weightsFingerprint = weightsFingerprint
        self.transport = transport
        decoder = WireDecoder(limits: limits)
        computation = HostComputation(placement: placement, host: index, hidden: config.hiddenSize)
        self.log = log
    }

    /// What this host holds, as it states it in the handshake.
    public var hello: Hello {
        Hello(config: config, placement: placement, host: index, weightsFingerprint: weightsFingerprint,
              residentBytes: UInt64(experts.residentBytes))
    }

    /// Serves until a shutdown frame arrives, or `shouldStop` says so (checked at least every `poll`).
    public func serve(poll: Duration = .milliseconds(200), shouldStop: () -> Bool = { false }) throws -> Statistics {
        while !shouldStop() {
            guard let message = try transport.receive(until: ContinuousClock.now + poll) else { continue }
            receivedAt = TrafficClock.now()
            receivedBytes = message.byteCount
            let frame: WireFrame
            do {
                frame = try message.decode(with: decoder)
            } catch {
                statistics.badFrames += 1
                log("expert host \(index): bad frame (\(message.byteCount) bytes): \(error)")
                try reply(.error(Failure(code: .malformedFrame, message: error.description)))
                continue
            }
            if try handle(frame) { return statistics }
        }
        return statistics
    }

    /// Handles one frame; true when it was the shutdown.
    func handle(_ frame: WireFrame) throws -> Bool {
        switch frame.body {
        case let .hello(expected):
            if let mismatch = expected.mismatch(with: hello) {
                statistics.refusedHellos += 1
                accepted = false
                log("expert host \(index): refused the coordinator: \(mismatch)")
                try reply(.error(Failure(code: .refused, message: "expert host \(index) refused: \(mismatch)")))
            } else {
                try reply(.hello(hello))
            }
        case .helloAck:
            accepted = true
        case .dispatch:
            guard accepted else {
                statistics.badFrames += 1
                try reply(.error(Failure(code: .unexpectedFrame, message: "expert host \(index) got a dispatch before a completed handshake")), address: frame.address)
                return false
            }
            do {
                let layer = frame.address.layer
                let answer = try computation.answer(frame) { expert, input, rows in
                    guard let weights = experts.experts[layer][expert] else {
                        throw MissingExpertError(layer: layer, expert: expert)
                    }
                    return weights.forward(input, tokens: rows)
                }
                statistics.dispatches += 1
                let encoded = answer.encoded()
                let sent = TrafficClock.now()
                try transport.send(encoded)
                if let traffic, case let .dispatch(dispatch) = frame.body {
                    record(traffic, frame, dispatch, combine: encoded, sent: sent)
                }
            } catch {
                statistics.badFrames += 1
                log("expert host \(index): dispatch for \(frame.address) failed: \(error)")
                try reply(.error(Failure(code: .expertFailed, message: "expert host \(index): \(error)")), address: frame.address)
            }
        case .heartbeat:
            statistics.heartbeats += 1
            try reply(.heartbeat)
        case .shutdown:
            return true
        case .combine, .error:
            statistics.badFrames += 1
            try reply(.error(Failure(code: .unexpectedFrame, message: "expert host \(index) does not accept \(frame.kind) frames")))
        }
        return false
    }

    /// The dispatch as it arrived and the combine that answered it; the workload step is the
    /// coordinator's to know (-1 here).
    func record(_ traffic: TrafficRecorder, _ frame: WireFrame, _ dispatch: Dispatch, combine: EncodedFrame, sent: Int64) {
        let a = frame.address, tokens = Int32(dispatch.routes.count), slots = Int32(dispatch.routes.pairCount)
        traffic.record(TrafficRecord(kind: .dispatch, step: -1, exchange: a.step, layer: Int32(a.layer), microBatch: Int32(a.microBatch),
                                     host: Int32(index), tokens: tokens, slots: slots, payloadBytes: Int64(dispatch.activations.byteCount),
                                     wireBytes: Int64(receivedBytes), receiveNanos: receivedAt))
        traffic.record(TrafficRecord(kind: .combine, step: -1, exchange: a.step, layer: Int32(a.layer), microBatch: Int32(a.microBatch),
                                     host: Int32(index), tokens: tokens, slots: slots, payloadBytes: Int64(combine.payloadByteCount),
                                     wireBytes: Int64(combine.byteCount), sendNanos: sent))
    }

    func reply(_ body: WireBody, address: FrameAddress = FrameAddress()) throws {
        // Only dispatch and combine name a layer; an error keeps the step it answers.
        let address = body.kind.carriesActivations ? address : FrameAddress(step: address.step)
        try transport.send(WireFrame(address: address, host: index, body: body).encoded())
    }
}
