/// Who sent a message to a host, as the transport knows it: a ZeroMQ routing id, an MPI rank,
/// an in-process mailbox. Opaque to the protocol, which keeps one session per peer.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(number: Int) { self.bytes = withUnsafeBytes(of: UInt64(truncatingIfNeeded: number).littleEndian) { Array($0) } }

    public var description: String { "peer " + bytes.map { String($0, radix: 16) }.joined() }
}

/// Bytes a transport still owns (a ZeroMQ message's parts), read where they lie: the frame is
/// decoded straight out of them, without copying them into arrays first.
public protocol BorrowedParts: AnyObject, Sendable {
    /// The parts, valid while the object lives.
    var buffers: [UnsafeRawBufferPointer] { get }
}

/// Bytes as they arrived: the three parts of a ZeroMQ message, or one contiguous MPI buffer.
public struct ReceivedMessage: Sendable {
    /// The host it came from (on the coordinator's side); the host's own index on a host.
    public var host: Int
    /// The sender as the transport identifies it (on a host's side: which coordinator).
    public var peer: PeerID
    private var owned: [[UInt8]]
    private var borrowed: BorrowedParts?

    public init(host: Int, peer: PeerID = PeerID(bytes: []), parts: [[UInt8]]) {
        self.host = host
        self.peer = peer
        owned = parts
    }

    /// Parts left in the transport's buffers (`borrowed` keeps them alive as long as this message).
    public init(host: Int, peer: PeerID = PeerID(bytes: []), borrowing borrowed: BorrowedParts) {
        self.host = host
        self.peer = peer
        owned = []
        self.borrowed = borrowed
    }

    /// The parts as arrays (a copy, for borrowed parts).
    public var parts: [[UInt8]] { borrowed.map { $0.buffers.map { Array($0) } } ?? owned }

    public var byteCount: Int { borrowed.map { $0.buffers.reduce(0) { $0 + $1.count } } ?? owned.reduce(0) { $0 + $1.count } }

    public func decode(with decoder: WireDecoder) throws(WireError) -> WireFrame {
        if let borrowed {
            let buffers = borrowed.buffers
            let frame: WireFrame
            if buffers.count == 1 { frame = try decoder.decode(contiguous: buffers[0]) } else {
                guard buffers.count == 3 else {
                    throw .outOfRange(field: "message parts", value: UInt64(buffers.count), allowed: "3 (header, metadata, payload)")
                }
                frame = try decoder.decode(header: buffers[0], metadata: buffers[1], payload: buffers[2])
            }
            withExtendedLifetime(borrowed) {}
            return frame
        }
        return owned.count == 1 ? try decoder.decode(owned[0]) : try decoder.decode(parts: owned)
    }
}
