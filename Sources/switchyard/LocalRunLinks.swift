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
        RunFolderCleanup.add(folder.path)
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

    func remove() {
        folder.remove()
        RunFolderCleanup.remove(folder.path)
    }

    static func warn(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}

/// Run folders still to remove when the process exits, also through exit() after a signal
/// (`SignalGuard`), so keys and socket files do not outlive an interrupted run.
enum RunFolderCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var folders: Set<String> = []
    nonisolated(unsafe) private static var installed = false

    static func add(_ path: String) {
        lock.withLock {
            folders.insert(path)
            if !installed {
                installed = true
                atexit { RunFolderCleanup.removeAll() }
            }
        }
    }

    static func remove(_ path: String) { lock.withLock { _ = folders.remove(path) } }

    private static func removeAll() {
        let paths = lock.withLock { folders }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}
