import CZeroMQ

/// The connection and handshake events of one of the coordinator's links (zmq_socket_monitor),
/// read when a handshake runs late, to tell "nothing listens there" from "something listens
/// but cannot prove the host's key".
final class ZeroMQLinkMonitor {
    private let events: ZMQSocket
    private var connected = false
    private var handshakes = 0
    private var failures: [String] = []
    /// The ZAP status with which the host refused this coordinator's key, if it did.
    private var refusedKey: UInt32?

    init(context: ZMQContext, socket: ZMQSocket, name: String) throws {
        let endpoint = "inproc://switchyard-monitor-\(name)"
        let mask = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        try socket.monitor(endpoint, events: Int32(mask))
        events = try ZMQSocket(context: context, kind: .pair)
        try events.connect(endpoint)
    }

    /// Reads every event that has arrived.
    private func drain() {
        while let parts = try? events.receive(timeoutMilliseconds: 0), let first = parts.first, first.count >= 6 {
            let event = Int32(first[0]) | Int32(first[1]) << 8
            let value = UInt32(first[2]) | UInt32(first[3]) << 8 | UInt32(first[4]) << 16 | UInt32(first[5]) << 24
            switch event {
            case ZMQ_EVENT_CONNECTED: connected = true
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: handshakes += 1
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: refusedKey = value
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: failures.append("ZMTP protocol error 0x\(String(value, radix: 16))")
            default: failures.append("the security handshake failed")
            }
        }
    }

    /// Nil once a handshake has succeeded; otherwise what went wrong so far.
    func problem(endpoint: String, secured: Bool) -> String? {
        drain()
        guard handshakes == 0 else { return nil }
        guard connected else { return "nothing accepted a connection at \(endpoint)" }
        if let refusedKey {
            return "the host at \(endpoint) refused this coordinator's CURVE key (ZAP status \(refusedKey)): its cluster file does not list this key"
        }
        let what = failures.last.map { ": \($0)" } ?? ""
        guard secured else { return "connected to \(endpoint), but the ZeroMQ handshake never completed\(what)" }
        return "connected to \(endpoint), but the CURVE handshake never completed\(what): the peer there does not hold the secret key of "
            + "the host's listed public key, does not admit this coordinator's key, or is not a CURVE server"
    }

    func close() { events.close() }
}
