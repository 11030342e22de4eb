import Foundation

/// Files shipped in the repository beside the executable (`topologies/`, `cluster/`), found from
/// wherever the command is run: the first match walking up from the executable's folder, else
/// from the working directory.
public enum ShippedFiles {
    /// The folders searched, in order: the executable's, then the working directory.
    public static var searchStarts: [URL] {
        let fm = FileManager.default
        let executable = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return [URL(fileURLWithPath: executable).deletingLastPathComponent(), URL(fileURLWithPath: fm.currentDirectoryPath)]
    }

    /// The first `relative` path (e.g. "cluster/local-dgx-b200.json") that exists in a search
    /// start or one of its parents.
    public static func find(_ relative: String) -> URL? {
        for start in searchStarts {
            var url = start
            while url.pathComponents.count > 1 {
                let candidate = url.appendingPathComponent(relative)
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate.standardizedFileURL }
                url.deleteLastPathComponent()
            }
        }
        return nil
    }
}
