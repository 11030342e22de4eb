import Foundation
import SwitchyardCluster
import SwitchyardTransport

/// What `switchyard run` makes so that its ZeroMQ links are its own: a folder only this user can
/// enter, holding the run's ipc sockets and, when the cluster file lists no keys, a CURVE key
/// pair per role made for this run. Two runs of one cluster file never meet; removed at the end.
final class LocalRunLinks {
    let folder: PrivateRunFolder
    /// The cluster with its ipc endpoints inside the folder.
    let spec: ClusterSpec
    /// The folder of every role's keys when they are not the cluster file's.
    let keys: String?

    init(spec: ClusterSpec) throws {
        folder = try PrivateRunFolder()
        self.spec = spec.placingIPCSockets(in: folder.path)
        guard spec.transport == .zmq, spec.security == .curve, spec.listedKeys == nil else {
            keys = nil
            return
        }
        do {
            for role in [nil] + spec.hosts.indices.map(Optional.some) {
                let pair = try CurveKeyPair.generate()
                try CurveKeyFile.write(publicKey: pair.publicKey, secretKey: pair.secretKey, folder: folder.path,
                                       name: ClusterCurveKeys.ephemeralName(host: role))
            }
        } catch {
            folder.remove()
            throw error
        }
        keys = folder.path
    }

    /// Flags that give a host process the same sockets and keys.
    var hostArguments: [String] { ["--socket-directory", folder.path] + (keys.map { ["--keys", $0] } ?? []) }

    func remove() { folder.remove() }

    static func warn(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
