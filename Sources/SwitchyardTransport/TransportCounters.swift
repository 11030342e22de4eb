/// What a coordinator's transport itself handed over and took in: every part of every frame,
/// counted where the bytes enter and leave the transport, independently of the traffic ledger.
public struct TransportCounters: Sendable, Equatable {
    public var sentMessages = 0
    public var sentBytes = 0
    public var receivedMessages = 0
    public var receivedBytes = 0

    public init() {}

    public mutating func sent(_ bytes: Int) {
        sentMessages += 1
        sentBytes += bytes
    }

    public mutating func received(_ bytes: Int) {
        receivedMessages += 1
        receivedBytes += bytes
    }
}
