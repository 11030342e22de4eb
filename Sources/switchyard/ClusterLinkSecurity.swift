import Foundation
import SwitchyardCluster
import SwitchyardTransport

/// The ZeroMQ security of one process of a cluster, from the cluster file's keys (or a run's
/// ephemeral ones) and this process's secret key: CURVE, or nothing for `"security": "none"`
/// (with a warning) and for ipc-only files without keys.
enum ClusterLinkSecurity {
    struct Problem: InputError {
        var description: String
    }

    /// Expert host `host`: a CURVE server with its own secret key, admitting the coordinator keys.
    static func host(_ spec: ClusterSpec, host: Int, keys folder: String?, secretKey: String?,
                     warn: (String) -> Void) throws -> ZeroMQSecurity? {
        if let warning = spec.plaintextWarning { warn(warning) }
        guard let keys = try spec.curveKeys(folder: folder) else { return nil }
        let pair = try ownPair(of: keys.hosts[host], secretKey: secretKey, role: "hosts[\(host)]")
        return .curveServer(secretKey: pair.secretKey, admittedClients: keys.coordinator.map(\.key))
    }

    /// The coordinator: a CURVE client with its own pair, naming each host's server key.
    static func coordinator(_ spec: ClusterSpec, keys folder: String?, secretKey: String?,
                            warn: (String) -> Void) throws -> ZeroMQSecurity? {
        if let warning = spec.plaintextWarning { warn(warning) }
        guard let keys = try spec.curveKeys(folder: folder) else { return nil }
        // With several coordinator keys listed (a rotation), this coordinator is the one whose secret it holds.
        let candidates = secretKey != nil ? [keys.coordinator[0]]
            : keys.coordinator.filter { FileManager.default.fileExists(atPath: CurveKeyFile.secretFile(besides: $0.file)) }
        guard let own = candidates.first else {
            throw Problem(description: "\(spec.file): no secret key beside the coordinator's public key \(keys.coordinator.map(\.file).joined(separator: ", ")); give --secret-key FILE")
        }
        let pair = try ownPair(of: own, secretKey: secretKey, role: "coordinator", among: keys.coordinator)
        return .curveClient(pair, serverKeys: keys.hosts.map(\.key))
    }

    /// The secret key file's pair, checked against the role's listed public key(s).
    private static func ownPair(of listed: ClusterPublicKey, secretKey: String?, role: String,
                                among allowed: [ClusterPublicKey]? = nil) throws -> CurveKeyPair {
        let file = secretKey ?? CurveKeyFile.secretFile(besides: listed.file)
        let pair: CurveKeyPair
        do { pair = try CurveKeyPair(secretKey: try CurveKeyFile.readSecret(file)) } catch {
            throw Problem(description: "\(error)")
        }
        let listedKeys = (allowed ?? [listed]).map(\.key)
        guard listedKeys.contains(pair.publicKey) else {
            throw Problem(description: "\(file): this secret key does not belong to \(role)'s public key (\((allowed ?? [listed]).map(\.file).joined(separator: ", ")))")
        }
        return pair
    }
}
