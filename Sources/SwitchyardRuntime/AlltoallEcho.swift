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
            let rows = dispatch.routes.count
            let sums = AlltoallEchoRule.answer(to: dispatch.activations, host: host)
            let answer = WireFrame(address: frame.address, host: host, body: .combine(Combine(tokens: dispatch.routes.tokens, partialSums: sums))).encoded()
            let sent = TrafficClock.now()
            try transport.send(answer, to: message.peer)
            answered += 1
            guard let traffic else { continue }
            let a = frame.address, tokens = Int32(rows), slots = Int32(dispatch.routes.pairCount)
            traffic.record(TrafficRecord(kind: .dispatch, step: -1, exchange: a.step, layer: Int32(a.layer), host: Int32(host), tokens: tokens,
                                         slots: slots, payloadBytes: Int64(dispatch.activations.byteCount), wireBytes: Int64(message.byteCount),
                                         receiveNanos: received))
            traffic.record(TrafficRecord(kind: .combine, step: -1, exchange: a.step, layer: Int32(a.layer), host: Int32(host), tokens: tokens,
                                         slots: slots, payloadBytes: Int64(answer.payloadByteCount), wireBytes: Int64(answer.byteCount), sendNanos: sent))
        }
        return answered
    }
}
