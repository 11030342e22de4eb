import Foundation

/// The CURVE public keys of every role of a ZeroMQ cluster: listed in the cluster file, or made
/// for one run by `switchyard run` in its private folder (`coordinator.key`, `host-K.key`).
public struct ClusterCurveKeys: Equatable, Sendable {
    /// Every key a host admits as its coordinator's.
    public var coordinator: [ClusterPublicKey]
    /// Host i's server key is `hosts[i]`.
    public var hosts: [ClusterPublicKey]
    /// Hierarchical exchange: relay r's key, a server key towards the coordinator and a client
    /// key towards its node's hosts, which admit it beside the coordinator's.
    public var relays: [ClusterPublicKey]

    public init(coordinator: [ClusterPublicKey], hosts: [ClusterPublicKey], relays: [ClusterPublicKey] = []) {
        self.coordinator = coordinator
        self.hosts = hosts
        self.relays = relays
    }

    /// The file names of a run's ephemeral keys in its folder, without the `.key` suffix.
    public static func ephemeralName(host: Int?) -> String { host.map { "host-\($0)" } ?? "coordinator" }
    public static func ephemeralName(relay: Int) -> String { "relay-\(relay)" }

    /// The keys a folder of ephemeral keys holds for a cluster of `hosts` hosts and `relays` relays.
    public static func read(folder: String, hosts: Int, relays: Int = 0) throws(CurveKeyFile.Problem) -> ClusterCurveKeys {
        func key(_ name: String) throws(CurveKeyFile.Problem) -> ClusterPublicKey {
            let file = folder + "/" + name + CurveKeyFile.publicSuffix
            return ClusterPublicKey(file: file, key: try CurveKeyFile.readPublic(file))
        }
        return ClusterCurveKeys(coordinator: [try key(ephemeralName(host: nil))],
                                hosts: try (0..<hosts).map { (host) throws(CurveKeyFile.Problem) in try key(ephemeralName(host: host)) },
                                relays: try (0..<relays).map { (relay) throws(CurveKeyFile.Problem) in try key(ephemeralName(relay: relay)) })
    }
}

extension ClusterSpec {
    /// The keys the file lists, if it lists any.
    public var listedKeys: ClusterCurveKeys? {
        guard !coordinator.publicKeys.isEmpty else { return nil }
        return ClusterCurveKeys(coordinator: coordinator.publicKeys, hosts: hosts.map { $0.publicKeys[0] }, relays: relays.map { $0.publicKeys[0] })
    }

    /// Whether some role is reached over tcp (another machine may be on the path).
    public var hasTCPEndpoints: Bool {
        ([coordinator] + hosts + relays).contains { if case let .zmq(endpoint) = $0.endpoint { endpoint.hasPrefix("tcp://") } else { false } }
    }

    /// The keys a ZeroMQ process of this cluster uses: the file's, else those in `folder` (a run's
    /// ephemeral keys); nil for `"security": "none"`, and for ipc-only files without keys, whose
    /// sockets only the file system guards. tcp without keys is refused.
    public func curveKeys(folder: String? = nil) throws(ClusterError) -> ClusterCurveKeys? {
        guard transport == .zmq, security == .curve else { return nil }
        if let listed = listedKeys { return listed }
        if let folder {
            do throws(CurveKeyFile.Problem) { return try ClusterCurveKeys.read(folder: folder, hosts: hosts.count, relays: relays.count) } catch {
                throw ClusterError(file: file, path: "$", problem: "the run's keys: \(error)")
            }
        }
        guard !hasTCPEndpoints else {
            throw ClusterError(file: file, path: "$", problem: "tcp endpoints need CURVE keys: give the coordinator and every host a \"public_key\" "
                + "(make them with switchyard keygen), or say \"security\": \"none\" on a network only you can reach")
        }
        return nil
    }

    /// The warning a process prints when it runs this cluster's ZeroMQ links in plaintext.
    public var plaintextWarning: String? {
        guard transport == .zmq, security == .none else { return nil }
        return "warning: \(file) says \"security\": \"none\": expert traffic (activations, and shutdowns) is neither authenticated nor encrypted; "
            + "anyone who can reach the endpoints can read it or drive the hosts"
    }
}

extension ClusterSpec {
    /// The same cluster with every ipc endpoint moved into `folder` (`coordinator`, `host-K`):
    /// a run's private folder, so that two runs of one file never meet at the same socket.
    public func placingIPCSockets(in folder: String) -> ClusterSpec {
        func moved(_ role: ClusterRole, _ name: String) -> ClusterRole {
            guard case let .zmq(endpoint) = role.endpoint, endpoint.hasPrefix("ipc://") else { return role }
            var role = role
            role.endpoint = .zmq("ipc://\(folder)/\(name)")
            return role
        }
        var spec = self
        spec.coordinator = moved(coordinator, "coordinator")
        spec.hosts = hosts.enumerated().map { moved($1, "host-\($0)") }
        spec.relays = relays.enumerated().map { moved($1, "relay-\($0)") }
        return spec
    }
}
