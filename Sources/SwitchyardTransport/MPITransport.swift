import CMPI
import Foundation
import SwitchyardWire

/// Frames over MPI point-to-point, tag `frameTag` (`MPIFraming`: a frame whole in one message or
/// in pieces of `chunkBytes`, or split into its header and metadata and then its payload's own
/// messages).
///
/// A receive is kept posted from every rank listened to, into a buffer of `chunkBytes` (or the
/// largest legal frame, if smaller), so a message lands where it will be decoded as soon as it
/// arrives; the buffer is lent out with the message and taken back for a later receive once no
/// message holds it. A payload goes out where it lies, one contiguous run per message; a whole
/// frame's parts go out as an MPI derived datatype over their addresses. The frame is kept alive
/// until MPI reports the send done.
/// Waiting polls MPI_Testsome over the posted receives and pending sends. While bytes are in
/// flight that move only when this rank calls MPI (its sends, a frame half joined, or within 1 ms
/// of its last message) it polls without pause, yielding every 64 polls; otherwise it naps 20 µs
/// between polls. Spinning throughout was 2–4× slower on a machine with fewer cores than ranks:
/// idle hosts took the cores the coordinator and the working hosts needed.
final class MPILink {
    static let frameTag = 17
    static let pollsPerYield = 64
    static let activeWindow = Duration.milliseconds(1)
    static let napMicroseconds: UInt32 = 20

    /// When this link last sent or took in a message.
    private var lastActivity = ContinuousClock.now

    /// Whether bytes are in flight that only move while this rank polls: sends not done, a frame
    /// half joined, or a message sent or taken in within `activeWindow` (its answer is near).
    private var isBusy: Bool {
        !sends.isEmpty || assemblers.contains { $0.isJoining } || ContinuousClock.now - lastActivity < Self.activeWindow
    }
    let world: MPIWorld
    /// The ranks received from, in order; a received frame names its index here.
    let sources: [Int]
    /// The longest message this link sends; every rank of a job cuts at the same size.
    let chunkBytes: Int
    let postedBytes: Int

    private var receives: [MPI_Request?]
    private var posted: [MPIFrameBuffer]
    /// Per source, the buffers lent out: each reused once no message holds it.
    private var lent: [[MPIFrameBuffer]]
    private var assemblers: [MPIFrameAssembler]
    private var indices: [Int32]
    private var statuses: [MPI_Status]
    private var ready: [(source: Int, frame: BorrowedParts)] = []

    private var sends: [MPI_Request?] = []
    /// Each pending send's frame (or a split frame's joined head), alive until its request completes.
    private var sending: [EncodedFrame?] = []
    private var sendIndices: [Int32] = []

    /// Messages dropped: longer than the posted buffer (MPI truncated them) or out of turn in a frame's pieces.
    private(set) var dropped = 0
    private(set) var lastDrop: String?

    init(world: MPIWorld, sources: [Int], limits: WireLimits, chunkBytes: Int = MPIFraming.chunkBytes) throws {
        self.world = world
        self.sources = sources
        self.chunkBytes = chunkBytes
        postedBytes = min(chunkBytes, limits.largestFrameBytes)
        let decoder = WireDecoder(limits: limits)
        receives = Array(repeating: sy_mpi_request_null(), count: sources.count)
        posted = sources.map { _ in MPIFrameBuffer(capacity: 0) }
        lent = Array(repeating: [], count: sources.count)
        assemblers = sources.map { _ in MPIFrameAssembler(chunkBytes: chunkBytes, decoder: decoder) }
        indices = Array(repeating: 0, count: sources.count)
        statuses = Array(repeating: MPI_Status(), count: sources.count)
        for index in sources.indices { try post(index, into: newPostedBuffer()) }
    }

    /// Receive buffers made so far: two per source in steady state (three with split frames, whose
    /// head is held while their payload lands), one more whenever a message is still held when its
    /// source's next receive is posted.
    private(set) var receiveBuffersMade = 0

    private func newPostedBuffer() -> MPIFrameBuffer {
        receiveBuffersMade += 1
        return MPIFrameBuffer(capacity: postedBytes)
    }

    private func post(_ index: Int, into buffer: MPIFrameBuffer) throws {
        posted[index] = buffer
        try check("MPI_Irecv", MPI_Irecv(buffer.storage.baseAddress, Int32(postedBytes), sy_mpi_byte(), Int32(sources[index]),
                                         Int32(Self.frameTag), sy_mpi_comm_world(), &receives[index]))
    }

    func send(_ frame: EncodedFrame, to rank: Int) throws {
        let headBytes = frame.header.count + frame.metadata.count
        if MPIFraming.splits(headBytes: headBytes, payloadBytes: frame.payloadByteCount, chunkBytes: chunkBytes), let payload = frame.payload {
            try sendSplit(frame, payload: payload, headBytes: headBytes, to: rank)
        } else {
            try sendWhole(frame, to: rank)
        }
        lastActivity = ContinuousClock.now
        try progressSends()
    }

    /// Header and metadata joined in one message, then the payload's own contiguous messages.
    private func sendSplit(_ frame: EncodedFrame, payload: ActivationRows, headBytes: Int, to rank: Int) throws {
        let head = EncodedFrame(header: frame.header + frame.metadata, metadata: [], payload: nil)
        try isend(head.header.withUnsafeBytes { $0.baseAddress! }, bytes: headBytes, to: rank, keeping: head)
        // Stable while `frame` lives: an array that nothing mutates, kept in `sending` until MPI is done.
        let base = payload.withUnsafeBytes { $0.baseAddress! }
        var offset = 0
        while offset < frame.payloadByteCount {
            let length = min(chunkBytes, frame.payloadByteCount - offset)
            try isend(base.advanced(by: offset), bytes: length, to: rank, keeping: frame)
            offset += length
        }
    }

    /// The three parts back to back, in pieces of `chunkBytes`: a piece within one part goes as it
    /// lies, one across parts as an MPI hindexed datatype over them.
    private func sendWhole(_ frame: EncodedFrame, to rank: Int) throws {
        let parts = [frame.header.count, frame.metadata.count, frame.payloadByteCount]
        // Stable while `frame` lives: arrays that nothing mutates, kept in `sending` until MPI is done.
        let bases: [UnsafeRawPointer?] = [
            frame.header.withUnsafeBytes { $0.baseAddress }, frame.metadata.withUnsafeBytes { $0.baseAddress },
            frame.payload?.withUnsafeBytes { $0.baseAddress },
        ]
        for blocks in MPIFraming.chunks(partLengths: parts, chunkBytes: chunkBytes) {
            let first = bases[blocks[0].part]!.advanced(by: blocks[0].offset)
            guard blocks.count > 1 else {
                try isend(first, bytes: blocks[0].length, to: rank, keeping: frame)
                continue
            }
            let lengths = blocks.map { Int32($0.length) }
            let displacements = blocks.map { MPI_Aint(first.distance(to: bases[$0.part]!.advanced(by: $0.offset))) }
            var type: MPI_Datatype? = nil
            try check("MPI_Type_create_hindexed", MPI_Type_create_hindexed(Int32(blocks.count), lengths, displacements, sy_mpi_byte(), &type))
            defer { MPI_Type_free(&type) }
            try check("MPI_Type_commit", MPI_Type_commit(&type))
            var request: MPI_Request? = sy_mpi_request_null()
            try check("MPI_Isend", MPI_Isend(first, 1, type, Int32(rank), Int32(Self.frameTag), sy_mpi_comm_world(), &request))
            sends.append(request)
            sending.append(frame)
        }
    }

    /// One contiguous message of `bytes` bytes at `base`, which `keeping` holds alive.
    private func isend(_ base: UnsafeRawPointer, bytes: Int, to rank: Int, keeping owner: EncodedFrame) throws {
        var request: MPI_Request? = sy_mpi_request_null()
        try check("MPI_Isend", MPI_Isend(base, Int32(bytes), sy_mpi_byte(), Int32(rank), Int32(Self.frameTag), sy_mpi_comm_world(), &request))
        sends.append(request)
        sending.append(owner)
    }

    /// Lets go of the frames whose sends MPI has finished.
    private func progressSends() throws {
        guard !sends.isEmpty else { return }
        if sendIndices.count < sends.count { sendIndices = Array(repeating: 0, count: sends.count) }
        var done: Int32 = 0
        try check("MPI_Testsome", MPI_Testsome(Int32(sends.count), &sends, &done, &sendIndices, sy_mpi_statuses_ignore()))
        guard done > 0, done != sy_mpi_undefined() else { return }
        for i in 0..<Int(done) { sending[Int(sendIndices[i])] = nil }
        if sending.allSatisfy({ $0 == nil }) {
            sends.removeAll(keepingCapacity: true)
            sending.removeAll(keepingCapacity: true)
        }
    }

    /// Takes in the receives MPI has finished and posts each source's next one.
    private func progressReceives() throws {
        var done: Int32 = 0
        let rc = MPI_Testsome(Int32(receives.count), &receives, &done, &indices, &statuses)
        guard rc == sy_mpi_success() || rc == sy_mpi_err_in_status() else { throw MPIError.call("MPI_Testsome", code: rc) }
        guard done > 0, done != sy_mpi_undefined() else { return }
        lastActivity = ContinuousClock.now
        for i in 0..<Int(done) {
            let index = Int(indices[i])
            var status = statuses[i]
            let message = posted[index]
            var count: Int32 = 0
            let failed = rc != sy_mpi_success() && sy_mpi_status_error(&status) != sy_mpi_success()
            if !failed { try check("MPI_Get_count", MPI_Get_count(&status, sy_mpi_byte(), &count)) }
            // The next receive goes into a buffer lent out before whose message is gone.
            let next = reclaimed(index) ?? newPostedBuffer()
            lent[index].append(message)
            try post(index, into: next)
            guard !failed else {
                drop("a message from rank \(sources[index]) longer than the \(postedBytes) bytes a frame's piece may be")
                continue
            }
            message.count = Int(count)
            switch assemblers[index].accept(message) {
            case let .frame(frame): ready.append((index, frame))
            case .pending: break
            case let .dropped(why): drop("rank \(sources[index]): \(why)")
            }
        }
    }

    /// A buffer lent out for source `index` that no message holds any more, taken off the lent list.
    private func reclaimed(_ index: Int) -> MPIFrameBuffer? {
        for k in lent[index].indices where isKnownUniquelyReferenced(&lent[index][k]) { return lent[index].remove(at: k) }
        return nil
    }

    private func drop(_ why: String) {
        dropped += 1
        lastDrop = why
    }

    /// The next frame from any source, with the index of its source, or nil once `timeout` has passed.
    func receive(timeout: Duration) throws -> (source: Int, frame: BorrowedParts)? {
        let deadline = ContinuousClock.now + timeout
        var polls = 0
        while ready.isEmpty {
            try progressSends()
            try progressReceives()
            if !ready.isEmpty { break }
            if polls % Self.pollsPerYield == 0, ContinuousClock.now >= deadline { return nil }
            polls += 1
            if isBusy {
                // A long message moves a few shared-memory fragments per poll: yielding after each
                // would hand the core away mid-transfer, so only every `pollsPerYield` polls.
                if polls % Self.pollsPerYield == 0 { sched_yield() }
            } else {
                usleep(Self.napMicroseconds)
            }
        }
        return ready.removeFirst()
    }

    /// Waits for every pending send, up to `timeout`, then withdraws the posted receives.
    func close(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while !sends.isEmpty, ContinuousClock.now < deadline {
            do { try progressSends() } catch { break }
            sched_yield()
        }
        // A receive that already matched a message cannot be cancelled, and its sender may be gone:
        // waited for up to a second, then let go, its buffer with it (MPI may still write there).
        let cancelDeadline = ContinuousClock.now + .seconds(1)
        for index in receives.indices where receives[index] != sy_mpi_request_null() {
            MPI_Cancel(&receives[index])
            var done: Int32 = 0
            while done == 0, ContinuousClock.now < cancelDeadline {
                guard MPI_Test(&receives[index], &done, sy_mpi_status_ignore()) == sy_mpi_success() else { break }
                if done == 0 { sched_yield() }
            }
            if done == 0 {
                _ = Unmanaged.passRetained(posted[index])
                MPI_Request_free(&receives[index])
            }
        }
    }
}

/// The coordinator's MPI links: rank `ranks[h]` is expert host h.
public final class MPICoordinatorTransport: CoordinatorTransport {
    let link: MPILink
    let ranks: [Int]
    public private(set) var counters = TransportCounters()

    /// `limits` bound what a host's frame may declare (the joined length of a long frame).
    public init(world: MPIWorld, hostRanks: [Int], limits: WireLimits) throws {
        for rank in hostRanks where !(0..<world.size).contains(rank) || rank == world.rank {
            throw TransportError("MPI rank \(rank) of an expert host is not another rank of this job of \(world.size)")
        }
        link = try MPILink(world: world, sources: hostRanks, limits: limits)
        ranks = hostRanks
    }

    public var hostCount: Int { ranks.count }

    public func send(_ frame: EncodedFrame, to host: Int) throws {
        try link.send(frame, to: ranks[host])
        counters.sent(frame.byteCount)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        guard let (host, frame) = try link.receive(timeout: timeout) else { return nil }
        let message = ReceivedMessage(host: host, borrowing: frame)
        counters.received(message.byteCount)
        return message
    }

    /// Messages from hosts dropped before decoding: longer than any frame's piece, or out of turn.
    public var droppedMessages: Int { link.dropped }
    /// Receive buffers made so far (two per host in steady state).
    public var receiveBuffersMade: Int { link.receiveBuffersMade }

    public func close() { link.close(timeout: .seconds(5)) }
}

/// An expert host's MPI link to the coordinator's rank.
public final class MPIHostTransport: HostTransport {
    let link: MPILink
    let coordinatorRank: Int
    let index: Int

    public init(world: MPIWorld, coordinatorRank: Int, host index: Int, limits: WireLimits) throws {
        link = try MPILink(world: world, sources: [coordinatorRank], limits: limits)
        self.coordinatorRank = coordinatorRank
        self.index = index
    }

    /// Only the coordinator's rank is listened to, so it is the one peer a host answers.
    public func send(_ frame: EncodedFrame, to peer: PeerID) throws {
        try link.send(frame, to: coordinatorRank)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        try link.receive(timeout: timeout).map {
            ReceivedMessage(host: index, peer: PeerID(number: coordinatorRank), borrowing: $0.frame)
        }
    }

    /// Receive buffers made so far (two in steady state).
    public var receiveBuffersMade: Int { link.receiveBuffersMade }

    public func close() { link.close(timeout: .seconds(5)) }
}
