import Foundation
import SwitchyardModel
import SwitchyardWire

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
    private var accepted = false

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
                try transport.send(answer.encoded())
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

    func reply(_ body: WireBody, address: FrameAddress = FrameAddress()) throws {
        // Only dispatch and combine name a layer; an error keeps the step it answers.
        let address = body.kind.carriesActivations ? address : FrameAddress(step: address.step)
        try transport.send(WireFrame(address: address, host: index, body: body).encoded())
    }
}
