import SwitchyardWire

/// Why the coordinator gave up on a handshake or an exchange: a value the driver throws and tests
/// match on, with a message a user can act on.
public struct ClusterFailure: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        /// Hosts that never answered the handshake; `busy` ones said they serve another coordinator.
        case handshakeTimeout(missing: [Int], busy: [Int], timeout: Duration)
        /// The host answered the hello with a different model, placement, weights or experts.
        case hostHoldsOther(host: Int, mismatch: String)
        /// The host refused the coordinator's hello.
        case hostRefused(host: Int, message: String)
        case exchangeTimeout(layer: Int, missing: [Int], timeout: Duration)
        /// The host answered a dispatch with an error frame.
        case hostFailed(host: Int, layer: Int, failure: Failure)
        /// The host is known to be gone (its process exited, its link dropped).
        case hostLost(host: Int, reason: String)
        /// The host answered a dispatch with a combine that does not fit it.
        case protocolViolation(host: Int, detail: String)
        /// Anything outside the protocol: a host that could not be started, a transport error.
        case other(String)
    }

    public var reason: Reason

    public init(_ reason: Reason) { self.reason = reason }
    public init(_ description: String) { self.reason = .other(description) }

    public var description: String {
        func list(_ hosts: [Int]) -> String { hosts.map(String.init).joined(separator: ", ") }
        switch reason {
        case let .handshakeTimeout(missing, busy, timeout):
            let waiting = missing.filter { !busy.contains($0) }
            var parts: [String] = []
            if !waiting.isEmpty { parts.append("no handshake within \(timeout) from expert host(s) \(list(waiting))") }
            if !busy.isEmpty { parts.append("expert host(s) \(list(busy)) still serve another coordinator after \(timeout)") }
            return parts.joined(separator: "; ")
        case let .hostHoldsOther(host, mismatch): return "expert host \(host) holds something else: \(mismatch)"
        case let .hostRefused(host, message): return "expert host \(host) refused the handshake: \(message)"
        case let .exchangeTimeout(layer, missing, timeout):
            return "layer \(layer): no combine within \(timeout) from expert host(s) \(list(missing))"
        case let .hostFailed(host, layer, failure): return "layer \(layer): host \(host) reported \(failure.code): \(failure.message)"
        case let .hostLost(host, reason): return "expert host \(host) was lost: \(reason)"
        case let .protocolViolation(host, detail): return "expert host \(host) broke the protocol: \(detail)"
        case let .other(description): return description
        }
    }
}
