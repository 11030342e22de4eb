// Run under `mpirun -np N`: every rank takes part in an allreduce and in a ring of
// non-blocking point-to-point messages, then prints what it received, one line per rank.
// The test that starts it checks the figures; this program only reports them.
import Foundation
import SwitchyardTransport
import SwitchyardWire

/// Bytes rank `sender` puts on the ring: easy to recompute on the receiving side.
func ringPayload(from sender: Int, count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ sender &* 7 &+ 1) }
}

/// Frames over the MPI transport: rank 0 sends every other rank small combines, one longer than
/// an MPI message of a frame may be (so it goes in pieces), then small ones again; each rank
/// echoes what it decodes. Reports the frames that came back equal and the receive buffers made.
func frameExchange(_ world: MPIWorld) throws -> String {
    let width = 2048, rounds = 12
    let limits = WireLimits(layers: 1, experts: 8, expertsPerToken: 2, hidden: width, maxTokens: 2048)
    let decoder = WireDecoder(limits: limits)
    func frame(round: Int, host: Int) -> WireFrame {
        // Round 5 is the long one: 1,100 rows of 2,048 bf16 values, past MPIFraming.chunkBytes.
        let rows = round == 5 ? 1100 : 3 + round
        let values = (0..<(rows * width)).map { Float(($0 &* 7 &+ round &+ host) % 200 - 100) / 8 }
        return WireFrame(address: FrameAddress(step: UInt64(round + 1)), host: host,
                         body: .combine(Combine(tokens: (0..<UInt32(rows)).map { $0 }, partialSums: ActivationRows(rows: rows, width: width, floats: values, as: .bf16))))
    }
    if world.rank == 0 {
        let transport = try MPICoordinatorTransport(world: world, hostRanks: Array(1..<world.size), limits: limits)
        defer { transport.close() }
        var equal = 0
        for round in 0..<rounds {
            for host in 0..<transport.hostCount { try transport.send(frame(round: round, host: host).encoded(), to: host) }
            for _ in 0..<transport.hostCount {
                guard let message = try transport.receive(timeout: .seconds(30)) else { throw TransportError("no echo in round \(round)") }
                if try message.decode(with: decoder) == frame(round: round, host: message.host) { equal += 1 }
            }
        }
        for host in 0..<transport.hostCount { try transport.send(WireFrame(host: host, body: .shutdown).encoded(), to: host) }
        return "frames_equal=\(equal) frames_sent=\(rounds * transport.hostCount) receive_buffers=\(transport.receiveBuffersMade) dropped=\(transport.droppedMessages)"
    }
    let transport = try MPIHostTransport(world: world, coordinatorRank: 0, host: world.rank - 1, limits: limits)
    defer { transport.close() }
    var echoed = 0
    while let message = try transport.receive(timeout: .seconds(30)) {
        let received = try message.decode(with: decoder)
        if received.kind == .shutdown { break }
        try transport.send(received.encoded(), to: message.peer)
        echoed += 1
    }
    return "frames_echoed=\(echoed) receive_buffers=\(transport.receiveBuffersMade)"
}

do {
    let world = try MPIWorld()
    defer { world.finalize() }
    let rank = world.rank, size = world.size

    let sums = try world.allreduceSum([Double(rank + 1), Double((rank + 1) * (rank + 1))])

    let count = 4096 + rank
    let next = (rank + 1) % size, previous = (rank + size - 1) % size
    let outgoing = ringPayload(from: rank, count: count)
    let incomingCount = 4096 + previous
    var incoming = [UInt8](repeating: 0, count: incomingCount)
    try outgoing.withUnsafeBytes { out in
        try incoming.withUnsafeMutableBytes { inc in
            let receive = try world.startReceive(into: inc, from: previous, tag: 7)
            let send = try world.startSend(out, to: next, tag: 7)
            try receive.wait(timeout: .seconds(30))
            try send.wait(timeout: .seconds(30))
        }
    }
    let fnv = incoming.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    let frames = try frameExchange(world)
    print("rank=\(rank) size=\(size) allreduce=\(sums.map { String(Int($0)) }.joined(separator: ",")) from=\(previous) bytes=\(incoming.count) fnv=\(fnv) \(frames)")
    try world.barrier()
} catch {
    FileHandle.standardError.write(Data("switchyard-mpi-check: \(error)\n".utf8))
    exit(1)
}
