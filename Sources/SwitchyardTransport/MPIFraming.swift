import SwitchyardWire

/// How a frame crosses MPI, in one of two shapes:
/// - whole: its three parts back to back as one message, or, past `chunkBytes`, as consecutive
///   messages of `chunkBytes` (the last shorter) that the receiver joins;
/// - split, for a payload of at least `splitPayloadBytes` after a header and metadata shorter than
///   `chunkBytes`: header and metadata as one message, then the payload as messages of its own
///   (`chunkBytes` each, the last shorter). Each payload message is one contiguous run of memory,
///   which MPI can move with a single copy (shared memory's CMA); a message over a derived
///   datatype joining scattered parts goes through MPI's pipelined copy-in and copy-out instead,
///   measured 2–3× slower for 878 KB frames between 9 ranks on this project's test machine.
/// The receiver tells the shapes apart by the first message's length: the frame's (whole, in one),
/// `chunkBytes` (whole, in pieces) or header plus metadata (split). MPI keeps the order of messages
/// between two ranks on one tag, so the pieces arrive in turn, and a receiver can keep a receive
/// posted into a buffer of `chunkBytes` at all times.
public enum MPIFraming {
    /// The longest MPI message of a frame.
    public static let chunkBytes = 4 << 20
    /// The shortest payload sent split: about where Open MPI's shared memory leaves its eager
    /// copies for a single-copy rendezvous (btl_vader_rndv_eager_limit, 32 KiB).
    public static let splitPayloadBytes = 32 << 10

    /// Whether a frame with `headBytes` of header and metadata and `payloadBytes` of payload goes split.
    public static func splits(headBytes: Int, payloadBytes: Int, chunkBytes: Int = chunkBytes) -> Bool {
        payloadBytes >= splitPayloadBytes && headBytes < chunkBytes
    }

    /// A run of bytes of one part of the frame (0 header, 1 metadata, 2 payload).
    public struct Block: Equatable, Sendable {
        public var part: Int
        public var offset: Int
        public var length: Int
    }

    /// The blocks of each message a frame with parts of `partLengths` bytes goes out as; empty parts take none.
    public static func chunks(partLengths: [Int], chunkBytes: Int = chunkBytes) -> [[Block]] {
        precondition(chunkBytes > 0 && partLengths.allSatisfy { $0 >= 0 }, "chunks of \(chunkBytes) bytes over parts \(partLengths)")
        var messages: [[Block]] = [], current: [Block] = [], room = chunkBytes
        for (part, length) in partLengths.enumerated() {
            var offset = 0
            while offset < length {
                let take = min(room, length - offset)
                current.append(Block(part: part, offset: offset, length: take))
                offset += take
                room -= take
                if room == 0 {
                    messages.append(current)
                    current = []
                    room = chunkBytes
                }
            }
        }
        if !current.isEmpty { messages.append(current) }
        return messages
    }
}

/// Bytes received over MPI, lent to the decoder: a posted receive's buffer, or a frame joined
/// from its pieces. The link takes a buffer back for its next receive once no message holds it.
final class MPIFrameBuffer: BorrowedParts, @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    let capacity: Int
    /// Bytes filled, from the start.
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: max(1, capacity), alignment: 64)
    }

    deinit { storage.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<count]) }
    var buffers: [UnsafeRawBufferPointer] { [bytes] }

    /// Appends `more`; the caller has checked that it fits.
    func append(_ more: UnsafeRawBufferPointer) {
        precondition(count + more.count <= capacity, "\(more.count) bytes do not fit \(capacity - count) left")
        if let source = more.baseAddress, more.count > 0 {
            storage.baseAddress!.advanced(by: count).copyMemory(from: source, byteCount: more.count)
        }
        count += more.count
    }
}

/// A split frame as it arrived: header and metadata in one buffer, the payload in another
/// (a posted receive's, or its pieces joined), decoded as three parts without joining them.
final class MPISplitFrame: BorrowedParts, @unchecked Sendable {
    let head: MPIFrameBuffer
    let payload: MPIFrameBuffer

    init(head: MPIFrameBuffer, payload: MPIFrameBuffer) {
        self.head = head
        self.payload = payload
    }

    var buffers: [UnsafeRawBufferPointer] {
        let bytes = head.bytes
        return [UnsafeRawBufferPointer(rebasing: bytes[0..<WireLayout.headerBytes]),
                UnsafeRawBufferPointer(rebasing: bytes[WireLayout.headerBytes...]), payload.bytes]
    }
}

/// One sender's messages made into frames (`MPIFraming`): a message of a whole frame is the
/// frame; a full one whose header declares a longer frame opens a frame that the next messages
/// fill; a message of exactly a header and its metadata, declaring a payload, is a split frame's
/// head, and the next messages are its payload. Declared lengths are checked against the wire
/// limits (`WireDecoder.partLengths`) before anything is allocated for them. A message that is not
/// the piece due drops the frame it belonged to.
struct MPIFrameAssembler {
    enum Outcome {
        /// A whole frame: the message itself, the joined pieces, or a split frame's head and payload.
        case frame(BorrowedParts)
        /// A piece taken in; more are due.
        case pending
        /// The open frame was dropped: the message was not its next piece.
        case dropped(String)
    }

    let chunkBytes: Int
    let decoder: WireDecoder
    /// A whole frame being joined from its pieces.
    private var open: MPIFrameBuffer?
    /// A split frame's head, waiting for `payloadBytes` of payload (joined in `payload` when it takes several messages).
    private var head: MPIFrameBuffer?
    private var payloadBytes = 0
    private var payload: MPIFrameBuffer?

    init(chunkBytes: Int = MPIFraming.chunkBytes, decoder: WireDecoder) {
        self.chunkBytes = chunkBytes
        self.decoder = decoder
    }

    var isJoining: Bool { open != nil || head != nil }

    mutating func accept(_ message: MPIFrameBuffer) -> Outcome {
        if let frame = open {
            let due = min(chunkBytes, frame.capacity - frame.count)
            guard message.count == due else {
                open = nil
                return .dropped("a piece of \(message.count) bytes where the next \(due) of a \(frame.capacity)-byte frame were due")
            }
            frame.append(message.bytes)
            guard frame.count == frame.capacity else { return .pending }
            open = nil
            return .frame(frame)
        }
        if let splitHead = head { return acceptPayload(message, head: splitHead) }
        // A short or malformed message goes to the decoder as it is, which says what is wrong with it.
        guard message.count >= WireLayout.headerBytes,
              let lengths = try? decoder.partLengths(header: UnsafeRawBufferPointer(rebasing: message.bytes[0..<WireLayout.headerBytes]))
        else { return .frame(message) }
        let headBytes = WireLayout.headerBytes + lengths.metadata, length = headBytes + lengths.payload
        if message.count == headBytes, lengths.payload > 0, headBytes < chunkBytes {
            head = message
            payloadBytes = lengths.payload
            return .pending
        }
        guard message.count == chunkBytes, length > message.count else { return .frame(message) }
        let frame = MPIFrameBuffer(capacity: length)
        frame.append(message.bytes)
        open = frame
        return .pending
    }

    /// The next message of a split frame's payload: the whole payload in one message is used where
    /// it landed; a longer one is joined.
    private mutating func acceptPayload(_ message: MPIFrameBuffer, head splitHead: MPIFrameBuffer) -> Outcome {
        let due = min(chunkBytes, payloadBytes - (payload?.count ?? 0))
        guard message.count == due else {
            let expected = payloadBytes
            head = nil
            payload = nil
            return .dropped("a piece of \(message.count) bytes where the next \(due) of a \(expected)-byte payload were due")
        }
        if payload == nil, message.count == payloadBytes {
            head = nil
            return .frame(MPISplitFrame(head: splitHead, payload: message))
        }
        let joined = payload ?? MPIFrameBuffer(capacity: payloadBytes)
        joined.append(message.bytes)
        guard joined.count == payloadBytes else {
            payload = joined
            return .pending
        }
        head = nil
        payload = nil
        return .frame(MPISplitFrame(head: splitHead, payload: joined))
    }
}
