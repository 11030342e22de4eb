import SwitchyardWire

/// The coordinator's side of a cluster's links: one to each expert host.
///
/// Implementations: `InProcessNetwork` (hosts on threads), `ZeroMQCoordinatorTransport`,
/// `MPICoordinatorTransport`. The same frames cross all of them.
public protocol CoordinatorTransport: AnyObject {
    var hostCount: Int { get }
    /// Sends `frame` to expert host `host`; the payload is handed over without a copy where the transport can.
    func send(_ frame: EncodedFrame, to host: Int) throws
    /// The next message from any host, or nil once `deadline` passes.
    func receive(until deadline: ContinuousClock.Instant) throws -> ReceivedMessage?
    /// Messages and bytes this transport has handed over and taken in, counted by the transport.
    var counters: TransportCounters { get }
    func close()
}

/// An expert host's side of its link to the coordinator.
public protocol HostTransport: AnyObject {
    func send(_ frame: EncodedFrame) throws
    /// The next message from the coordinator, or nil once `deadline` passes.
    func receive(until deadline: ContinuousClock.Instant) throws -> ReceivedMessage?
    func close()
}

/// Bytes as they arrived: the three parts of a ZeroMQ message, or one contiguous MPI buffer.
public struct ReceivedMessage: Sendable {
    /// The host it came from (on the coordinator's side); the host's own index on a host.
    public var host: Int
    public var parts: [[UInt8]]

    public init(host: Int, parts: [[UInt8]]) {
        self.host = host
        self.parts = parts
    }

    public var byteCount: Int { parts.reduce(0) { $0 + $1.count } }

    public func decode(with decoder: WireDecoder) throws(WireError) -> WireFrame {
        parts.count == 1 ? try decoder.decode(parts[0]) : try decoder.decode(parts: parts)
    }
}

/// A transport that could not be set up or used, naming the endpoint or rank.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ContinuousClock.Instant {
    /// Whole milliseconds from now until this instant, at least 0.
    var millisecondsLeft: Int { max(0, Int((self - ContinuousClock.now) / .milliseconds(1))) }
}
