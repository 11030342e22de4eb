import Foundation
import SwitchyardCore

/// The topology files shipped in the repository's `topologies/` folder, found by name.
public enum TopologyPresets {
    public static let names = [
        "hgx-h100", "hgx-h200", "dgx-b200", "h100-x4", "h200-x2",
        "hgx-h100-x4", "hgx-h200-x2", "hgx-h200-x4", "dgx-b200-x2",
    ]
    public static let singleNodeNames = ["h200-x2", "h100-x4", "hgx-h100", "hgx-h200", "dgx-b200"]

    /// The folder holding the presets: $SWITCHYARD_TOPOLOGIES, else the first `topologies/`
    /// found walking up from the executable, else from the working directory.
    public static func directory() -> URL? {
        if let env = ProcessInfo.processInfo.environment["SWITCHYARD_TOPOLOGIES"] { return URL(fileURLWithPath: env) }
        return ShippedFiles.find("topologies/hgx-h100.json")?.deletingLastPathComponent()
    }

    /// A path as given, or a preset's name ("hgx-h100") resolved in the presets folder.
    public static func resolve(_ nameOrPath: String) -> URL {
        let fm = FileManager.default
        if fm.fileExists(atPath: nameOrPath) || nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") {
            return URL(fileURLWithPath: nameOrPath)
        }
        if let directory = directory() {
            let candidate = directory.appendingPathComponent(nameOrPath + ".json")
            if fm.fileExists(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: nameOrPath)
    }

    /// Loads a path or a preset's name.
    public static func load(_ nameOrPath: String) throws -> Topology {
        try Topology.load(contentsOf: resolve(nameOrPath))
    }
}
