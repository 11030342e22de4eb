/// One dispatch or combine message as one end saw it. A dispatch goes from the coordinator to
/// `host`; a combine from `host` back. Times are `TrafficClock` nanoseconds, 0 where this end did
/// not see that moment (the coordinator does not see a host receive; merging the host's ledger
/// fills it in). Fixed-width fields, so recording is a store into a preallocated array.
public struct TrafficRecord: Sendable, Equatable {
    public enum Kind: UInt8, Sendable, CaseIterable {
        case dispatch = 1, combine = 2

        public var name: String { self == .dispatch ? "dispatch" : "combine" }
    }

    public var kind: Kind
    /// The workload step (batch of sequences) the message belongs to.
    public var step: Int32
    /// The frame's step field: one exchange per (step, MoE layer), unique within a run.
    public var exchange: UInt64
    public var layer: Int32
    public var microBatch: Int32
    public var host: Int32
    /// Rows of activations: each token once per host, however many of its experts live there.
    public var tokens: Int32
    /// (token, expert) pairs the host applies for this message.
    public var slots: Int32
    /// Activation bytes (rows × hidden × bytes per value).
    public var payloadBytes: Int64
    /// The whole frame: header, metadata and payload.
    public var wireBytes: Int64
    public var sendNanos: Int64
    public var receiveNanos: Int64

    public init(kind: Kind, step: Int32, exchange: UInt64, layer: Int32, microBatch: Int32 = 0, host: Int32,
                tokens: Int32, slots: Int32, payloadBytes: Int64, wireBytes: Int64, sendNanos: Int64 = 0, receiveNanos: Int64 = 0) {
        self.kind = kind
        self.step = step
        self.exchange = exchange
        self.layer = layer
        self.microBatch = microBatch
        self.host = host
        self.tokens = tokens
        self.slots = slots
        self.payloadBytes = payloadBytes
        self.wireBytes = wireBytes
        self.sendNanos = sendNanos
        self.receiveNanos = receiveNanos
    }

    /// Endpoints as matrix indices: 0 is the coordinator, k + 1 is expert host k.
    public var source: Int { kind == .dispatch ? 0 : Int(host) + 1 }
    public var destination: Int { kind == .dispatch ? Int(host) + 1 : 0 }

    /// Seconds on the wire when both ends' times are known.
    public var transitSeconds: Double? {
        sendNanos > 0 && receiveNanos >= sendNanos ? Double(receiveNanos - sendNanos) * 1e-9 : nil
    }

    /// What identifies the message at both ends.
    public var key: Key { Key(kind: kind, exchange: exchange, microBatch: microBatch, host: host) }

    public struct Key: Hashable, Sendable {
        public var kind: Kind
        public var exchange: UInt64
        public var microBatch: Int32
        public var host: Int32
    }
}
