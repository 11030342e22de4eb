import SwitchyardWire

/// How a frame crosses MPI: its three parts back to back as one message, or, past `chunkBytes`,
/// as consecutive messages of `chunkBytes` (the last shorter) that the receiver joins. MPI keeps
/// the order of messages between two ranks on one tag, so the pieces arrive in turn.
/// A receiver can then keep a receive posted into a buffer of `chunkBytes` at all times.
public enum MPIFraming {
    /// The longest MPI message of a frame.
    public static let chunkBytes = 4 << 20

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

/// One sender's pieces joined into frames: a message shorter than `chunkBytes` is a whole frame;
/// a full one whose header declares a longer frame opens a frame that the next messages fill.
/// The declared length is checked against the wire limits (`WireDecoder.frameLength`) before
/// anything is allocated for it. A message that is not the piece due drops the frame it belonged to.
struct MPIFrameAssembler {
    enum Outcome {
        /// A whole frame: the message itself, or the joined pieces.
        case frame(MPIFrameBuffer)
        /// A piece taken in; more are due.
        case pending
        /// The open frame was dropped: the message was not its next piece.
        case dropped(String)
    }

    let chunkBytes: Int
    let decoder: WireDecoder
    private var open: MPIFrameBuffer?

    init(chunkBytes: Int = MPIFraming.chunkBytes, decoder: WireDecoder) {
        self.chunkBytes = chunkBytes
        self.decoder = decoder
    }

    var isJoining: Bool { open != nil }

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
        // A short or malformed message goes to the decoder as it is, which says what is wrong with it.
        guard message.count == chunkBytes, message.count >= WireLayout.headerBytes,
              let length = try? decoder.frameLength(header: UnsafeRawBufferPointer(rebasing: message.bytes[0..<WireLayout.headerBytes])),
              length > message.count else { return .frame(message) }
        let frame = MPIFrameBuffer(capacity: length)
        frame.append(message.bytes)
        open = frame
        return .pending
    }
}
