// Run under `mpirun -np N`: every rank takes part in an allreduce and in a ring of
// non-blocking point-to-point messages, then prints what it received, one line per rank.
// The test that starts it checks the figures; this program only reports them.
import Foundation
import SwitchyardTransport

/// Bytes rank `sender` puts on the ring: easy to recompute on the receiving side.
func ringPayload(from sender: Int, count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ sender &* 7 &+ 1) }
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
    print("rank=\(rank) size=\(size) allreduce=\(sums.map { String(Int($0)) }.joined(separator: ",")) from=\(previous) bytes=\(incoming.count) fnv=\(fnv)")
    try world.barrier()
} catch {
    FileHandle.standardError.write(Data("switchyard-mpi-check: \(error)\n".utf8))
    exit(1)
}
