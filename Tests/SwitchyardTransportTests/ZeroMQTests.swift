import Foundation
import Synchronization
import Testing
@testable import SwitchyardTransport

@Suite struct ZeroMQTests {
    /// Sends a three-part message from a DEALER to a ROUTER and a reply back, over `endpoint`.
    func roundTrip(bindTo endpoint: String) throws -> String {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, kind: .router)
        let bound = try router.bind(endpoint)
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.setIdentity(Array("host-7".utf8))
        try dealer.connect(bound)

        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try dealer.send([.copy(Array("dispatch".utf8)), .copy([]), .copy(big)])
        let received = try router.receive(timeoutMilliseconds: 5000)
        #expect(received.count == 4)
        #expect(received[0] == Array("host-7".utf8), "ROUTER prefixes the peer's identity")
        #expect(received[1] == Array("dispatch".utf8))
        #expect(received[2].isEmpty)
        #expect(received[3] == big)

        try router.send([.copy(received[0]), .copy(Array("combine".utf8))])
        let reply = try dealer.receive(timeoutMilliseconds: 5000)
        #expect(reply == [Array("combine".utf8)])
        return bound
    }

    @Test func multipartRoundTripOverTCPWithAPortChosenAtRunTime() throws {
        let bound = try roundTrip(bindTo: "tcp://127.0.0.1:*")
        #expect(bound.hasPrefix("tcp://127.0.0.1:"))
        let port = Int(bound.split(separator: ":").last ?? "") ?? 0
        #expect(port > 0)
    }

    @Test func multipartRoundTripOverIPC() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bound = try roundTrip(bindTo: "ipc://\(path)")
        #expect(bound == "ipc://\(path)")
    }

    @Test func zeroCopySendReleasesItsBufferExactlyOnce() throws {
        let releases = Atomic<Int>(0)
        let count = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        for i in 0..<count { buffer.storeBytes(of: UInt8(truncatingIfNeeded: i &* 7), toByteOffset: i, as: UInt8.self) }
        let expected = [UInt8](UnsafeRawBufferPointer(start: buffer, count: count))
        let address = UInt(bitPattern: buffer)
        do {
            let context = try ZMQContext()
            let pull = try ZMQSocket(context: context, kind: .pull)
            let bound = try pull.bind("tcp://127.0.0.1:*")
            let push = try ZMQSocket(context: context, kind: .push)
            try push.connect(bound)
            try push.send([.copy([1, 2, 3]), .zeroCopy(buffer, count: count, release: {
                releases.add(1, ordering: .sequentiallyConsistent)
                UnsafeMutableRawPointer(bitPattern: address)!.deallocate()
            })])
            let parts = try pull.receive(timeoutMilliseconds: 5000)
            #expect(parts.count == 2)
            #expect(parts[1] == expected)
            push.close()
            pull.close()
            // Terminating the context waits for libzmq's I/O threads, which call the free function.
        }
        #expect(releases.load(ordering: .sequentiallyConsistent) == 1)
    }

    @Test func zeroCopyPartIsReleasedOnceWhenTheSendFails() throws {
        let releases = Atomic<Int>(0)
        let context = try ZMQContext()
        let push = try ZMQSocket(context: context, kind: .push)
        push.close()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        let address = UInt(bitPattern: buffer)
        #expect(throws: ZeroMQError.self) {
            try push.send([.zeroCopy(buffer, count: 64, release: {
                releases.add(1, ordering: .sequentiallyConsistent)
                UnsafeMutableRawPointer(bitPattern: address)!.deallocate()
            })])
        }
        #expect(releases.load(ordering: .sequentiallyConsistent) == 1)
    }

    @Test func receiveHonoursItsDeadline() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, kind: .pull)
        _ = try pull.bind("tcp://127.0.0.1:*")
        let start = ContinuousClock.now
        #expect(throws: ZeroMQError.timeout(operation: "receive", milliseconds: 100)) {
            _ = try pull.receive(timeoutMilliseconds: 100)
        }
        #expect(ContinuousClock.now - start >= .milliseconds(90))
    }

    @Test func versionIsLibzmq4() {
        #expect(ZeroMQ.version.hasPrefix("4."))
    }
}
