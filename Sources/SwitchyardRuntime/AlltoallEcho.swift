import SwitchyardProtocol
import SwitchyardTraffic
import SwitchyardTransport
import SwitchyardWire

/// The expert host of the all-to-all benchmark: decodes each dispatch as a real host does
/// (header, routes, checksum) and answers at once with a combine the coordinator can check
/// (`AlltoallEchoRule`), so what is timed is the transport, framing and checksums, not expert math.
public struct AlltoallEcho {
    let host: Int
    let transport: HostTransport
    let decoder: WireDecoder
    let traffic: TrafficRecorder?

    public init(host: Int, transport: HostTransport, limits: WireLimits, traffic: TrafficRecorder?) {
        self.host = host
        self.transport = transport
        decoder = WireDecoder(limits: limits)
        self.traffic = traffic
    }

    /// Answers dispatches until a shutdown frame or `shouldStop`; returns the dispatches answered.
    public func serve(shouldStop: () -> Bool = { false }) throws -> Int {
        var answered = 0
        while !shouldStop() {
            guard let message = try transport.receive(timeout: .milliseconds(200)) else { continue }
            let received = TrafficClock.now()
            let frame = try message.decode(with: decoder)
            guard case let .dispatch(dispatch) = frame.body else {
                if frame.kind == .shutdown { return answered }
                continue
            }
            let sums = AlltoallEchoRule.answer(to: dispatch.activations, host: host)
            let reply = WireFrame(address: frame.address, host: host, body: .combine(Combine(tokens: dispatch.routes.tokens, partialSums: sums)))
            let answer = reply.encoded()
            let sent = TrafficClock.now()
            try transport.send(answer, to: message.peer)
            answered += 1
            guard let traffic else { continue }
            let slots = dispatch.routes.pairCount
            traffic.record(TrafficRecord(frame, wireBytes: message.byteCount, slots: slots, step: -1, received: ProtocolTime(nanoseconds: received)))
            traffic.record(TrafficRecord(reply, wireBytes: answer.byteCount, slots: slots, step: -1, sent: ProtocolTime(nanoseconds: sent)))
        }
        return answered
    }
}
