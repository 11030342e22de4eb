import Foundation
import SwitchyardWire

/// Frames over MPI point-to-point: each frame one contiguous message with tag `frameTag`, sent
/// with MPI_Isend and received after MPI_Iprobe tells its size. Sends stay pending, their buffers
/// owned here, until MPI reports them complete.
final class MPILink {
    static let frameTag = 17
    let world: MPIWorld
    private var pending: [(request: MPIRequest, buffer: UnsafeMutableRawBufferPointer)] = []

    init(world: MPIWorld) { self.world = world }

    func send(_ frame: EncodedFrame, to rank: Int) throws {
        // The frame's one copy: header, metadata and payload into the buffer MPI sends from.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, frame.byteCount), alignment: 16)
        var offset = 0
        for part in [frame.header, frame.metadata] {
            part.withUnsafeBytes { buffer.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += part.count
        }
        frame.payload?.withUnsafeBytes { bytes in
            if bytes.count > 0 { buffer.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        }
        do {
            let request = try world.startSend(UnsafeRawBufferPointer(rebasing: buffer[0..<frame.byteCount]), to: rank, tag: Self.frameTag)
            pending.append((request, buffer))
        } catch {
            buffer.deallocate()
            throw error
        }
        try progress()
    }

    /// Frees the buffers of sends MPI has finished.
    func progress() throws {
        var still: [(request: MPIRequest, buffer: UnsafeMutableRawBufferPointer)] = []
        for entry in pending {
            if try entry.request.test() { entry.buffer.deallocate() } else { still.append(entry) }
        }
        pending = still
    }

    /// The next frame from `source` (any rank when nil), with the rank it came from.
    func receive(from source: Int?, timeout: Duration) throws -> (rank: Int, bytes: [UInt8])? {
        let deadline = ContinuousClock.now + timeout
        while true {
            try progress()
            if let (rank, _, count) = try world.probe(source: source, tag: Self.frameTag) {
                var bytes = [UInt8](repeating: 0, count: count)
                try bytes.withUnsafeMutableBytes { target in
                    let request = try world.startReceive(into: target, from: rank, tag: Self.frameTag)
                    try request.wait(timeout: max(.seconds(1), deadline - ContinuousClock.now))
                }
                return (rank, bytes)
            }
            if ContinuousClock.now >= deadline { return nil }
            usleep(20)
        }
    }

    /// Waits for every pending send, up to `timeout`.
    func drain(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty, ContinuousClock.now < deadline {
            try? progress()
            usleep(100)
        }
    }
}

/// The coordinator's MPI links: rank `ranks[h]` is expert host h.
public final class MPICoordinatorTransport: CoordinatorTransport {
    let link: MPILink
    let ranks: [Int]
    let hostOfRank: [Int: Int]
    public private(set) var counters = TransportCounters()

    public init(world: MPIWorld, hostRanks: [Int]) throws {
        for rank in hostRanks where !(0..<world.size).contains(rank) || rank == world.rank {
            throw TransportError("MPI rank \(rank) of an expert host is not another rank of this job of \(world.size)")
        }
        link = MPILink(world: world)
        ranks = hostRanks
        hostOfRank = Dictionary(uniqueKeysWithValues: hostRanks.enumerated().map { ($1, $0) })
    }

    public var hostCount: Int { ranks.count }

    public func send(_ frame: EncodedFrame, to host: Int) throws {
        try link.send(frame, to: ranks[host])
        counters.sent(frame.byteCount)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        let deadline = ContinuousClock.now + timeout
        while let (rank, bytes) = try link.receive(from: nil, timeout: max(.zero, deadline - ContinuousClock.now)) {
            if let host = hostOfRank[rank] {
                counters.received(bytes.count)
                return ReceivedMessage(host: host, parts: [bytes])
            }
        }
        return nil
    }

    public func close() { link.drain(timeout: .seconds(5)) }
}

/// An expert host's MPI link to the coordinator's rank.
public final class MPIHostTransport: HostTransport {
    let link: MPILink
    let coordinatorRank: Int
    let index: Int

    public init(world: MPIWorld, coordinatorRank: Int, host index: Int) {
        link = MPILink(world: world)
        self.coordinatorRank = coordinatorRank
        self.index = index
    }

    /// Only the coordinator's rank is listened to, so it is the one peer a host answers.
    public func send(_ frame: EncodedFrame, to peer: PeerID) throws {
        try link.send(frame, to: coordinatorRank)
    }

    public func receive(timeout: Duration) throws -> ReceivedMessage? {
        try link.receive(from: coordinatorRank, timeout: timeout).map {
            ReceivedMessage(host: index, peer: PeerID(number: $0.rank), parts: [$0.bytes])
        }
    }

    public func close() { link.drain(timeout: .seconds(5)) }
}
