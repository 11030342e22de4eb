import CZeroMQ
import Foundation
import SwitchyardWire

/// A failure reported by libzmq, or a wait that ran past its deadline.
public enum ZeroMQError: Error, CustomStringConvertible, Equatable {
    case call(String, errno: Int32, message: String)
    case timeout(operation: String, milliseconds: Int)

    static func last(_ call: String) -> ZeroMQError {
        let code = zmq_errno()
        return .call(call, errno: code, message: String(cString: zmq_strerror(code)))
    }

    public var description: String {
        switch self {
        case let .call(call, errno, message): "ZeroMQ \(call) failed: \(message) (errno \(errno))"
        case let .timeout(operation, ms): "ZeroMQ \(operation) timed out after \(ms) ms"
        }
    }
}

public enum ZeroMQ {
    /// The version of the libzmq this process linked, as zmq_version reports it.
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}

/// One libzmq context; sockets keep it alive.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZeroMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit { zmq_ctx_term(handle) }
}

public enum ZMQSocketKind: Sendable {
    case pair, dealer, router, push, pull, rep

    var raw: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .rep: ZMQ_REP
        }
    }
}

/// One part of an outgoing multipart message.
public enum ZMQPart {
    /// Bytes libzmq copies into its own message.
    case copy([UInt8])
    /// Memory handed to libzmq without a copy; `release` runs exactly once, when libzmq is done
    /// with it (after the bytes have left, or at once if the send fails).
    case zeroCopy(UnsafeMutableRawPointer, count: Int, release: @Sendable () -> Void)
}

/// Holds a zero-copy part's release closure until libzmq calls back.
private final class ReleaseBox {
    let release: @Sendable () -> Void
    init(_ release: @escaping @Sendable () -> Void) { self.release = release }
}

private let releaseZeroCopy: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
    guard let hint else { return }
    let box = Unmanaged<ReleaseBox>.fromOpaque(hint).takeRetainedValue()
    box.release()
}

/// A ZeroMQ socket. Not shared between threads: each thread that talks owns its socket.
public final class ZMQSocket: @unchecked Sendable {
    private let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?

    public init(context: ZMQContext, kind: ZMQSocketKind) throws {
        guard let handle = zmq_socket(context.handle, kind.raw) else { throw ZeroMQError.last("zmq_socket") }
        self.context = context
        self.handle = handle
        var linger: Int32 = 0
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    deinit { close() }

    /// Closes the socket; with `linger`, messages still queued get that long to leave (the
    /// context's termination waits for them), instead of being dropped.
    public func close(linger: Duration = .zero) {
        if let handle, linger > .zero {
            var milliseconds = Int32(clamping: linger.components.seconds * 1000 + linger.components.attoseconds / 1_000_000_000_000_000)
            zmq_setsockopt(handle, ZMQ_LINGER, &milliseconds, MemoryLayout<Int32>.size)
        }
        if let handle { zmq_close(handle) }
        handle = nil
    }

    fileprivate var socket: UnsafeMutableRawPointer {
        get throws {
            guard let handle else { throw ZeroMQError.call("socket", errno: ENOTSOCK, message: "socket is closed") }
            return handle
        }
    }

    /// Binds and returns the endpoint actually bound (with the port the system chose for `tcp://host:*`).
    @discardableResult
    public func bind(_ endpoint: String) throws -> String {
        let s = try socket
        try useLargeBuffers(for: endpoint)
        guard zmq_bind(s, endpoint) == 0 else { throw ZeroMQError.last("zmq_bind(\(endpoint))") }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { throw ZeroMQError.last("zmq_getsockopt(LAST_ENDPOINT)") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func connect(_ endpoint: String) throws {
        try useLargeBuffers(for: endpoint)
        guard zmq_connect(try socket, endpoint) == 0 else { throw ZeroMQError.last("zmq_connect(\(endpoint))") }
    }

    /// Kernel buffers of a Unix socket, for its connections made after this: the system's default
    /// (about 208 KiB) takes a frame of a few hundred KiB in several writes, each waiting for the
    /// peer to read; 4 MiB (or the system's cap, net.core.wmem_max and rmem_max) takes it in one.
    /// tcp keeps the kernel's autotuning, which a fixed size would turn off.
    static let unixSocketBufferBytes: Int32 = 4 << 20

    private func useLargeBuffers(for endpoint: String) throws {
        guard endpoint.hasPrefix("ipc://") else { return }
        try setOption(ZMQ_SNDBUF, int: Self.unixSocketBufferBytes, name: "SNDBUF")
        try setOption(ZMQ_RCVBUF, int: Self.unixSocketBufferBytes, name: "RCVBUF")
    }

    /// Inbound messages (each part) larger than `bytes` make libzmq drop the connection that sent
    /// them, before they are buffered: a peer cannot pin memory with one huge message.
    public func setMaximumMessageSize(_ bytes: Int) throws {
        var limit = Int64(bytes)
        guard zmq_setsockopt(try socket, ZMQ_MAXMSGSIZE, &limit, MemoryLayout<Int64>.size) == 0 else {
            throw ZeroMQError.last("zmq_setsockopt(MAXMSGSIZE)")
        }
    }

    public func setIdentity(_ identity: [UInt8]) throws {
        let s = try socket
        let rc = identity.withUnsafeBytes { zmq_setsockopt(s, ZMQ_ROUTING_ID, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZeroMQError.last("zmq_setsockopt(ROUTING_ID)") }
    }

    /// Sends all parts as one multipart message. Every zero-copy part is released exactly once,
    /// whether the send succeeds or not.
    public func send(_ parts: [ZMQPart]) throws {
        var failure: ZeroMQError?
        if handle == nil { failure = ZeroMQError.call("zmq_msg_send", errno: ENOTSOCK, message: "socket is closed") }
        for (index, part) in parts.enumerated() {
            var message = zmq_msg_t()
            switch part {
            case let .copy(bytes):
                zmq_msg_init_size(&message, bytes.count)
                bytes.withUnsafeBytes { source in
                    if source.count > 0 { zmq_msg_data(&message).copyMemory(from: source.baseAddress!, byteCount: source.count) }
                }
            case let .zeroCopy(pointer, count, release):
                let hint = Unmanaged.passRetained(ReleaseBox(release)).toOpaque()
                if zmq_msg_init_data(&message, pointer, count, releaseZeroCopy, hint) != 0 {
                    Unmanaged<ReleaseBox>.fromOpaque(hint).takeRetainedValue().release()
                    failure = failure ?? ZeroMQError.last("zmq_msg_init_data")
                    continue
                }
            }
            if failure == nil {
                let flags = index < parts.count - 1 ? ZMQ_SNDMORE : 0
                if zmq_msg_send(&message, handle, flags) >= 0 { continue }
                failure = ZeroMQError.last("zmq_msg_send")
            }
            // Not handed to libzmq: closing runs the part's release.
            zmq_msg_close(&message)
        }
        if let failure { throw failure }
    }

    /// Waits up to `timeoutMilliseconds` for a whole multipart message.
    public func receive(timeoutMilliseconds: Int) throws -> [[UInt8]] {
        let s = try socket
        guard try poll(timeoutMilliseconds: timeoutMilliseconds) else {
            throw ZeroMQError.timeout(operation: "receive", milliseconds: timeoutMilliseconds)
        }
        var parts: [[UInt8]] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            // The first part has arrived, and libzmq delivers multipart messages whole.
            guard zmq_msg_recv(&message, s, 0) >= 0 else { throw ZeroMQError.last("zmq_msg_recv") }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)!
            parts.append([UInt8](UnsafeRawBufferPointer(start: data, count: size)))
            if zmq_msg_more(&message) == 0 { return parts }
        }
    }

    /// The next message's parts left in libzmq's buffers (no copy), the first `skip` of them
    /// (a ROUTER's routing id) copied out as arrays.
    public func receiveBorrowed(timeoutMilliseconds: Int, skip: Int = 0) throws -> (skipped: [[UInt8]], parts: ZMQMessageParts) {
        let s = try socket
        guard try poll(timeoutMilliseconds: timeoutMilliseconds) else {
            throw ZeroMQError.timeout(operation: "receive", milliseconds: timeoutMilliseconds)
        }
        var skipped: [[UInt8]] = []
        let parts = ZMQMessageParts()
        while true {
            // Received straight into its own heap slot: a zmq_msg_t is not moved once it holds data.
            let message = parts.newMessage()
            // The first part has arrived, and libzmq delivers multipart messages whole.
            guard zmq_msg_recv(message, s, 0) >= 0 else { throw ZeroMQError.last("zmq_msg_recv") }
            let more = zmq_msg_more(message) != 0
            if skipped.count < skip {
                skipped.append([UInt8](UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))))
                parts.dropLast()
            }
            if !more { return (skipped, parts) }
        }
    }

    /// Whether a message can be read within `timeoutMilliseconds`.
    public func poll(timeoutMilliseconds: Int) throws -> Bool {
        var item = zmq_pollitem_t(socket: try socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        while true {
            let left = max(0, Int((deadline - ContinuousClock.now) / .milliseconds(1)))
            let rc = zmq_poll(&item, 1, left)
            if rc >= 0 { return rc > 0 }
            // A signal interrupted the wait: wait again for what is left of the deadline.
            guard zmq_errno() == EINTR, left > 0 else { throw ZeroMQError.last("zmq_poll") }
        }
    }
}

extension ZMQSocket {
    /// Waits up to `timeoutMilliseconds` for any of `sockets` to have a message; returns the
    /// index of the first that has one, or nil when the time passes.
    public static func firstReadable(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws -> Int? {
        var items = try sockets.map { zmq_pollitem_t(socket: try $0.socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        while true {
            let left = max(0, Int((deadline - ContinuousClock.now) / .milliseconds(1)))
            let rc = zmq_poll(&items, Int32(items.count), left)
            if rc > 0 { return items.firstIndex { $0.revents & Int16(ZMQ_POLLIN) != 0 } }
            if rc == 0 { return nil }
            guard zmq_errno() == EINTR, left > 0 else { throw ZeroMQError.last("zmq_poll") }
        }
    }
}

extension ZMQSocket {
    /// Sets a libzmq option whose value is bytes (a key, a domain).
    func setOption(_ option: Int32, bytes: [UInt8], name: String) throws {
        let s = try socket
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(s, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZeroMQError.last("zmq_setsockopt(\(name))") }
    }

    /// Sets a libzmq option whose value is an int.
    func setOption(_ option: Int32, int value: Int32, name: String) throws {
        var value = value
        guard zmq_setsockopt(try socket, option, &value, MemoryLayout<Int32>.size) == 0 else { throw ZeroMQError.last("zmq_setsockopt(\(name))") }
    }

    /// Sends that cannot be queued within `milliseconds` fail with EAGAIN instead of blocking.
    public func setSendTimeout(milliseconds: Int32) throws {
        try setOption(ZMQ_SNDTIMEO, int: milliseconds, name: "SNDTIMEO")
    }

    /// Reports this socket's connection events (`events`, a ZMQ_EVENT_* mask) on a PAIR socket bound at `endpoint` (inproc://).
    func monitor(_ endpoint: String, events: Int32) throws {
        guard zmq_socket_monitor(try socket, endpoint, events) == 0 else { throw ZeroMQError.last("zmq_socket_monitor(\(endpoint))") }
    }
}

/// A received message's parts still in libzmq's buffers, closed when the last reference goes.
/// The messages live in heap storage of their own: a `zmq_msg_t` must not move once received.
public final class ZMQMessageParts: BorrowedParts, @unchecked Sendable {
    private var messages: [UnsafeMutablePointer<zmq_msg_t>] = []

    init() {}

    /// A new, initialised message slot at the end.
    func newMessage() -> UnsafeMutablePointer<zmq_msg_t> {
        let slot = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        slot.initialize(to: zmq_msg_t())
        zmq_msg_init(slot)
        messages.append(slot)
        return slot
    }

    /// Closes and forgets the last message.
    func dropLast() {
        guard let slot = messages.popLast() else { return }
        zmq_msg_close(slot)
        slot.deallocate()
    }

    public var buffers: [UnsafeRawBufferPointer] {
        messages.map { UnsafeRawBufferPointer(start: zmq_msg_data($0), count: zmq_msg_size($0)) }
    }

    deinit {
        for slot in messages {
            zmq_msg_close(slot)
            slot.deallocate()
        }
    }
}
