import Foundation
import Testing
import SwitchyardTestSupport
@testable import SwitchyardTransport

/// What `switchyard-mpi-check` puts on the ring, recomputed here.
func expectedRingPayload(from sender: Int) -> [UInt8] {
    (0..<(4096 + sender)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ sender &* 7 &+ 1) }
}

func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}

@Suite struct MPITests {
    @Test func libraryVersionNamesOpenMPI() {
        #expect(MPI.libraryVersion.contains("Open MPI"))
    }

    @Test(.timeLimit(.minutes(2)))
    func allreduceAndRingExchangeUnderMpirunWithThreeRanks() throws {
        let session = MPISession()
        defer { session.remove() }
        let result = try Subprocess.run(
            "/usr/bin/env",
            ["mpirun"] + MPILaunch.localArguments + ["-np", "3", TestProducts.executable("switchyard-mpi-check")],
            environment: session.environment,
            timeout: .seconds(90)
        )
        #expect(result.status == 0, "mpirun failed: \(result.stderr)")
        var seen = Set<Int>()
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("rank=") {
            var fields: [String: String] = [:]
            for pair in line.split(separator: " ") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                fields[String(kv[0])] = String(kv[1])
            }
            let rank = Int(fields["rank"]!)!
            seen.insert(rank)
            #expect(fields["size"] == "3")
            // 1+2+3 and 1+4+9
            #expect(fields["allreduce"] == "6,14")
            let from = (rank + 2) % 3
            #expect(fields["from"] == String(from))
            #expect(fields["bytes"] == String(4096 + from))
            #expect(fields["fnv"] == String(fnv1a(expectedRingPayload(from: from))))
            // Frames over MPICoordinatorTransport and MPIHostTransport, small ones whole, longer ones
            // split (one of them with its payload in pieces): every echo equal, nothing dropped, and
            // three receive buffers per link (a split frame's head is held while its payload lands),
            // taken back each round.
            if rank == 0 {
                #expect(fields["frames_equal"] == "24" && fields["frames_sent"] == "24", "\(line)")
                #expect(fields["receive_buffers"] == "6" && fields["dropped"] == "0", "\(line)")
            } else {
                #expect(fields["frames_echoed"] == "12" && fields["receive_buffers"] == "3", "\(line)")
            }
        }
        #expect(seen == [0, 1, 2], "every rank reports: \(result.stdout)")
    }
}

enum MPILaunch {
    /// mpirun flags for ranks on this machine: shared memory and loopback only, more ranks than cores allowed.
    static let localArguments = ["--oversubscribe", "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo",
                                 "--mca", "oob_tcp_if_include", "lo", "--mca", "btl_vader_single_copy_mechanism", "none"]
}
