import SwitchyardTraffic
import SwitchyardWire

extension TrafficRecord {
    /// The one builder of ledger records: a dispatch or combine frame as one end saw it leave
    /// (`sent`) or arrive (`received`), sized by its encoding. `slots` is the (token, expert)
    /// pairs the host applies for it; `step` the workload step (-1 where this end does not know it).
    public init(_ frame: WireFrame, wireBytes: Int, slots: Int, step: Int32, sent: ProtocolTime? = nil, received: ProtocolTime? = nil) {
        let kind: Kind = frame.kind == .dispatch ? .dispatch : .combine
        let rows = frame.body.activations
        self.init(kind: kind, step: step, exchange: frame.address.step, layer: Int32(clamping: frame.address.layer),
                  microBatch: Int32(clamping: frame.address.microBatch), host: Int32(clamping: frame.host),
                  tokens: Int32(clamping: rows?.rows ?? 0), slots: Int32(clamping: slots),
                  payloadBytes: Int64(rows?.byteCount ?? 0), wireBytes: Int64(wireBytes),
                  sendNanos: sent?.nanoseconds ?? 0, receiveNanos: received?.nanoseconds ?? 0)
    }
}
