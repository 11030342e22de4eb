import Logging
import Foundation
import SwitchyardCluster
import SwitchyardTransport

/// The ZeroMQ security of one process of a cluster, from the cluster file's keys (or a run's
/// ephemeral ones) and this process's secret key: CURVE, or nothing for `"security": "none"`
/// (with a warning) and for ipc-only files without keys.
public enum ClusterLinkSecurity {
    /// Expert host `host`: a CURVE server with its own secret key, admitting the coordinator keys.
    public static func host(_ settings: ClusterSettings, host: Int, warn: ((String) -> Void)? = nil) throws -> ZeroMQSecurity? {
        let spec = settings.spec
        if let warning = spec.plaintextWarning { (warn ?? { settings.logger.warning("\($0)") })(warning) }
        guard let keys = try spec.curveKeys(folder: settings.keys) else { return nil }
        let pair = try ownPair(of: [keys.hosts[host]], secretKey: settings.secretKey, role: "hosts[\(host)]")
        // Behind a relay, the relay is the host's only coordinator.
        let admitted = spec.exchange == .hierarchical ? [keys.relays[spec.relayOfHost[host]]] : keys.coordinator
        return .curveServer(secretKey: pair.secretKey, admittedClients: admitted.map(\.key))
    }

    /// Node relay `relay`: a CURVE server admitting the coordinator keys, and with the same pair a
    /// client naming its node's hosts' server keys.
    public static func relay(_ settings: ClusterSettings, relay: Int, warn: ((String) -> Void)? = nil) throws -> (upward: ZeroMQSecurity?, downward: ZeroMQSecurity?) {
        let spec = settings.spec
        if let warning = spec.plaintextWarning { (warn ?? { settings.logger.warning("\($0)") })(warning) }
        guard let keys = try spec.curveKeys(folder: settings.keys) else { return (nil, nil) }
        let pair = try ownPair(of: [keys.relays[relay]], secretKey: settings.secretKey, role: "relays[\(relay)]")
        return (.curveServer(secretKey: pair.secretKey, admittedClients: keys.coordinator.map(\.key)),
                .curveClient(pair, serverKeys: spec.hosts(ofRelay: relay).map { keys.hosts[$0].key }))
    }

    /// The coordinator: a CURVE client with its own pair, naming each host's server key.
    public static func coordinator(_ settings: ClusterSettings, warn: ((String) -> Void)? = nil) throws -> ZeroMQSecurity? {
        let spec = settings.spec
        if let warning = spec.plaintextWarning { (warn ?? { settings.logger.warning("\($0)") })(warning) }
        guard let keys = try spec.curveKeys(folder: settings.keys) else { return nil }
        let servers = spec.exchange == .hierarchical ? keys.relays : keys.hosts
        return .curveClient(try ownPair(of: keys.coordinator, secretKey: settings.secretKey, role: "the coordinator"), serverKeys: servers.map(\.key))
    }

    /// The pair of `secretKey`, or of the secret key beside one of `listed` (several when a
    /// coordinator key is being rotated), checked against the listed public keys.
    private static func ownPair(of listed: [ClusterPublicKey], secretKey: String?, role: String) throws -> CurveKeyPair {
        let candidates = secretKey.map { [$0] } ?? listed.map { CurveKeyFile.secretFile(besides: $0.file) }
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) ?? candidates.first else {
            throw LaunchInputError("no secret key for \(role)")
        }
        let pair: CurveKeyPair
        do { pair = try CurveKeyPair(secretKey: try CurveKeyFile.readSecret(file)) } catch {
            throw LaunchInputError("\(error)\(secretKey == nil ? " (give this process its secret key with --secret-key FILE)" : "")")
        }
        guard listed.map(\.key).contains(pair.publicKey) else {
            throw LaunchInputError("\(file): this secret key does not belong to \(role)'s public key (\(listed.map(\.file).joined(separator: ", ")))")
        }
        return pair
    }
}
