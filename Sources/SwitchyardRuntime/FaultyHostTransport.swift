import Foundation
import SwitchyardCore
import SwitchyardTransport
import SwitchyardWire

/// A host's link with a fault of its own: every frame it sends waits `delay` first (a slow or far
/// link), and a seeded fraction `dropRate` of them is never sent (a lossy one).
public final class FaultyHostTransport: HostTransport {
    let inner: HostTransport
    let delay: Duration
    let dropRate: Double
    private var random: SplitMix64
    public private(set) var dropped = 0

    public init(_ inner: HostTransport, delay: Duration = .zero, dropRate: Double = 0, seed: UInt64 = 1) {
        self.inner = inner
        self.delay = delay
        self.dropRate = dropRate
        random = SplitMix64(seed: seed)
    }

    /// The host's faults among `faults` (delay and drop; kill and stop are the launcher's).
    public convenience init(_ inner: HostTransport, host: Int, faults: [InjectedFault]) {
        var delay = Duration.zero, rate = 0.0
        for fault in faults where fault.host == host {
            switch fault {
            case let .delay(_, ms): delay += .microseconds(Int64((ms * 1000).rounded()))
            case let .drop(_, r): rate = max(rate, r)
            case .kill, .stop: break
            }
        }
        self.init(inner, delay: delay, dropRate: rate, seed: 0x5EED &+ UInt64(host))
    }

    public func send(_ frame: EncodedFrame, to peer: PeerID) throws {
        if dropRate > 0, Double(random.nextFloat()) < dropRate {
            dropped += 1
            return
        }
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.nanoseconds) * 1e-9) }
        try inner.send(frame, to: peer)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? { try inner.receive(timeout: timeout) }
    public func close() { inner.close() }
}
