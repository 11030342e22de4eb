import Foundation
import Testing
import SwitchyardTransport

/// ZMQ_MAXMSGSIZE on an expert host's ROUTER: a peer sending a message part above the limit is
/// dropped before the host buffers it, and the host goes on serving everyone else.
@Suite struct ZeroMQMessageSizeTests {
    @Test func anOversizedMessageIsDroppedWhileTheHostKeepsServing() throws {
        let limit = 1 << 20
        let host = try ZeroMQHostTransport(endpoint: "tcp://127.0.0.1:*", host: 0, maximumMessageBytes: limit)
        defer { host.close() }
        let context = try ZMQContext()

        let stranger = try ZMQSocket(context: context, kind: .dealer)
        try stranger.connect(host.boundEndpoint)
        let oversized = [UInt8](repeating: 7, count: limit + 1)
        try stranger.send([.copy(Array("header".utf8)), .copy([]), .copy(oversized)])
        #expect(try host.receive(timeout: .milliseconds(500)) == nil, "the oversized message must not reach the host")

        // A part at the limit still passes, from a well-behaved peer on another connection.
        let coordinator = try ZMQSocket(context: context, kind: .dealer)
        try coordinator.connect(host.boundEndpoint)
        let largest = [UInt8](repeating: 3, count: limit)
        try coordinator.send([.copy(Array("header".utf8)), .copy([1, 2]), .copy(largest)])
        let received = try #require(try host.receive(timeout: .seconds(5)))
        #expect(received.parts.count == 3)
        #expect(received.parts[2] == largest)

        // And the stranger's next, legal message is served too once it has reconnected: the
        // limit drops a connection, not the host.
        try stranger.send([.copy(Array("again".utf8)), .copy([]), .copy([9])])
        let again = try #require(try host.receive(timeout: .seconds(5)))
        #expect(again.parts[0] == Array("again".utf8))
    }
}
