import SwitchyardWire

/// The coordinator's side of a cluster's links: one to each expert host.
///
/// Implementations: `ZeroMQCoordinatorTransport`, `MPICoordinatorTransport`, `InProcessNetwork`'s
/// coordinator, and the embedded harness's virtual links. The same encoded frames cross all of them;
/// a received message names the host the link says it came from, never what the frame claims.
public protocol CoordinatorTransport: AnyObject {
    var hostCount: Int { get }
    /// Sends `frame` to expert host `host`; the payload is handed over without a copy where the transport can.
    func send(_ frame: EncodedFrame, to host: Int) throws
    /// The next message from any host, or nil once `timeout` has passed without one.
    func receive(timeout: Duration) throws -> ReceivedMessage?
    /// Messages and bytes this transport has handed over and taken in, counted by the transport.
    var counters: TransportCounters { get }
    func close()
}

/// An expert host's side of its links: it answers whichever peer wrote, each by its own identity.
public protocol HostTransport: AnyObject {
    func send(_ frame: EncodedFrame, to peer: PeerID) throws
    /// The next message from any peer, or nil once `timeout` has passed without one.
    func receive(timeout: Duration) throws -> ReceivedMessage?
    func close()
}

/// A transport that could not be set up or used, naming the endpoint or rank.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Duration {
    /// Whole milliseconds, at least 0 and at most a day (what poll calls take).
    public var pollMilliseconds: Int32 {
        let ms = self / .milliseconds(1)
        return Int32(max(0, min(ms.rounded(.up), 86_400_000)))
    }
}
