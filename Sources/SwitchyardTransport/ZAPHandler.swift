import Foundation

/// The ZeroMQ authentication handler of one context (ZMTP RFC 27): a REP socket at
/// inproc://zeromq.zap.01, served on a thread of its own, that libzmq asks about every client
/// of a CURVE server socket in the context. It answers 200 only for CURVE clients whose public
/// key is admitted; anyone else's connection is closed before a message of theirs is delivered.
/// Bind it before the server socket binds, so no client is ever let in without a question.
final class ZAPHandler: @unchecked Sendable {
    static let endpoint = "inproc://zeromq.zap.01"
    static let domain = "switchyard"

    private let socket: ZMQSocket
    private let admitted: Set<String>
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var stopping = false
    private var refusedCount = 0
    private var admittedCount = 0
    private let finished = DispatchSemaphore(value: 0)

    init(context: ZMQContext, admitting keys: [String], log: @escaping @Sendable (String) -> Void) throws {
        socket = try ZMQSocket(context: context, kind: .rep)
        admitted = Set(keys)
        self.log = log
        try socket.bind(Self.endpoint)
        let thread = Thread { [self] in serve() }
        thread.name = "switchyard-zap"
        thread.start()
    }

    /// Clients refused and admitted so far.
    var counts: (refused: Int, admitted: Int) { lock.withLock { (refusedCount, admittedCount) } }

    /// Stops answering and closes the socket; waits for the thread.
    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        if first { finished.wait() }
    }

    private func serve() {
        defer {
            socket.close()
            finished.signal()
        }
        while !lock.withLock({ stopping }) {
            do {
                guard try socket.poll(timeoutMilliseconds: 50) else { continue }
                let request = try socket.receive(timeoutMilliseconds: 0)
                let reply = Self.answer(request, admitted: admitted)
                try socket.send(reply.parts.map { .copy($0) })
                note(reply)
            } catch {
                log("ZAP handler: \(error)")
                return
            }
        }
    }

    private func note(_ reply: Reply) {
        let refused = lock.withLock { () -> Int? in
            if reply.admitted { admittedCount += 1; return nil }
            refusedCount += 1
            return refusedCount
        }
        // The first refusal and then every power of two: a stranger retrying cannot flood the log.
        if let refused, refused & (refused - 1) == 0 {
            log("refused a ZeroMQ client (\(refused) so far): \(reply.statusText)")
        }
    }

    struct Reply: Equatable {
        var parts: [[UInt8]]
        var admitted: Bool
        var statusText: String
    }

    /// The reply to one ZAP request: version, request id, domain, address, routing id, mechanism,
    /// then the mechanism's credentials (CURVE: the client's 32-byte public key).
    static func answer(_ request: [[UInt8]], admitted: Set<String>) -> Reply {
        let requestID = request.count > 1 ? request[1] : []
        func reply(_ code: String, _ text: String) -> Reply {
            Reply(parts: [Array("1.0".utf8), requestID, Array(code.utf8), Array(text.utf8), [], []], admitted: code == "200", statusText: text)
        }
        guard request.count >= 6, request[0] == Array("1.0".utf8) else { return reply("400", "malformed ZAP request") }
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE", request.count == 7, let key = CurveKeyPair.z85(request[6]) else {
            return reply("400", "mechanism \(mechanism) is not admitted: clients must use CURVE")
        }
        guard admitted.contains(key) else { return reply("400", "client key \(key.prefix(8))… is not a coordinator key of this cluster") }
        return reply("200", "OK")
    }
}
