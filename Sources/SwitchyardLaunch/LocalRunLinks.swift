import Foundation
import SwitchyardCluster
import SwitchyardTransport

/// What `switchyard run` makes so that its ZeroMQ links are its own: a folder only this user can
/// enter, holding the run's ipc sockets and, when the cluster file lists no keys, a CURVE key
/// pair per role made for this run. Two runs of one cluster file never meet; removed at the end.
final class LocalRunLinks {
    let folder: PrivateRunFolder
    /// The settings with the cluster's ipc endpoints inside the folder, and its keys if made here.
    let settings: ClusterSettings

    init(_ settings: ClusterSettings) throws {
        folder = try PrivateRunFolder()
        RunFolderCleanup.add(folder.path)
        var settings = settings
        let spec = settings.spec
        settings.spec = spec.placingIPCSockets(in: folder.path)
        guard spec.security == .curve, spec.listedKeys == nil else {
            self.settings = settings
            return
        }
        do {
            let names = [nil].map(ClusterCurveKeys.ephemeralName(host:)) + spec.hosts.indices.map(ClusterCurveKeys.ephemeralName(host:))
                + spec.relays.indices.map(ClusterCurveKeys.ephemeralName(relay:))
            for name in names {
                let pair = try CurveKeyPair.generate()
                try CurveKeyFile.write(publicKey: pair.publicKey, secretKey: pair.secretKey, folder: folder.path, name: name)
            }
        } catch {
            folder.remove()
            RunFolderCleanup.remove(folder.path)
            throw error
        }
        settings.keys = folder.path
        self.settings = settings
    }

    /// Flags that give a host process the same sockets and keys.
    var hostArguments: [String] { ["--socket-directory", folder.path] + (settings.keys.map { ["--keys", $0] } ?? []) }

    func remove() {
        folder.remove()
        RunFolderCleanup.remove(folder.path)
    }
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
