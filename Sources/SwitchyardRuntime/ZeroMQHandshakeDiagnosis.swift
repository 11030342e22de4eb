import SwitchyardProtocol
import SwitchyardTransport

/// A handshake that ran out of time over ZeroMQ, with what each silent host's link saw: nothing
/// listening, or a peer that never completed the CURVE handshake (a host without the listed key).
public enum ZeroMQHandshakeFailure {
    public static func explain(_ error: any Error, transport: ZeroMQCoordinatorTransport) -> any Error {
        guard let failure = error as? ClusterFailure, case let .handshakeTimeout(missing, busy, _) = failure.reason else { return error }
        let problems = missing.filter { !busy.contains($0) }.compactMap { host in transport.linkProblem(host: host).map { "expert host \(host): \($0)" } }
        guard !problems.isEmpty else { return error }
        return ClusterFailure("\(failure.description) (\(problems.joined(separator: "; ")))")
    }
}
