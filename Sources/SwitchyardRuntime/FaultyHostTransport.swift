import SwitchyardCore
import SwitchyardTransport
import SwitchyardWire

/// A lossy link: a seeded fraction `dropRate` of the frames a host sends is never sent (the
/// `drop` fault; the `delay` fault is the host driver's `linkDelay`, which does not hold it up).
public final class FaultyHostTransport: HostTransport {
    let inner: HostTransport
    let dropRate: Double
    private var random: SplitMix64
    public private(set) var dropped = 0

    public init(_ inner: HostTransport, dropRate: Double, seed: UInt64 = 1) {
        self.inner = inner
        self.dropRate = dropRate
        random = SplitMix64(seed: seed)
    }

    /// `transport` as it is, or behind a lossy link when `faults` drop frames of `host`.
    public static func wrapping(_ transport: HostTransport, host: Int, faults: [InjectedFault]) -> HostTransport {
        let rate = InjectedFault.dropRate(of: host, in: faults)
        return rate > 0 ? FaultyHostTransport(transport, dropRate: rate, seed: 0x5EED &+ UInt64(host)) : transport
    }

    public func send(_ frame: EncodedFrame, to peer: PeerID) throws {
        if dropRate > 0, Double(random.nextFloat()) < dropRate {
            dropped += 1
            return
        }
        try inner.send(frame, to: peer)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? { try inner.receive(timeout: timeout) }
    public func close() { inner.close() }
}
