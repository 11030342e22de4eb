/// Who sent a message to a host, as the transport knows it: a ZeroMQ routing id, an MPI rank,
/// an in-process mailbox. Opaque to the protocol, which keeps one session per peer.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(number: Int) { self.bytes = withUnsafeBytes(of: UInt64(truncatingIfNeeded: number).littleEndian) { Array($0) } }

    public var description: String { "peer " + bytes.map { String($0, radix: 16) }.joined() }
}

/// Bytes as they arrived: the three parts of a ZeroMQ message, or one contiguous MPI buffer.
public struct ReceivedMessage: Sendable {
    /// The host it came from (on the coordinator's side); the host's own index on a host.
    public var host: Int
    /// The sender as the transport identifies it (on a host's side: which coordinator).
    public var peer: PeerID
    public var parts: [[UInt8]]

    public init(host: Int, peer: PeerID = PeerID(bytes: []), parts: [[UInt8]]) {
        self.host = host
        self.peer = peer
        self.parts = parts
    }

    public var byteCount: Int { parts.reduce(0) { $0 + $1.count } }

    public func decode(with decoder: WireDecoder) throws(WireError) -> WireFrame {
        parts.count == 1 ? try decoder.decode(parts[0]) : try decoder.decode(parts: parts)
    }
}
