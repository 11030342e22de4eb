import Foundation
import SwitchyardCore
import SwitchyardLaunch

/// The cluster file commands use without --cluster: cluster/local-dgx-b200.json in the working
/// directory, else the one shipped beside the executable (walking up from it, as topology presets
/// are found), so `switchyard run` works from any folder.
enum DefaultCluster {
    static let relativePath = "cluster/local-dgx-b200.json"

    /// `given`, or the default cluster file's path; an error names where it looked and --cluster.
    static func path(_ given: String?) throws(LaunchInputError) -> String {
        if let given { return given }
        if FileManager.default.fileExists(atPath: relativePath) { return relativePath }
        if let shipped = ShippedFiles.find(relativePath) { return shipped.path }
        var places: [String] = []
        for start in ShippedFiles.searchStarts.map({ $0.appendingPathComponent(relativePath).path }) where !places.contains(start) {
            places.append(start)
        }
        throw LaunchInputError("no --cluster given, and the default cluster file \(relativePath) was not found: looked for "
            + "\(places.joined(separator: " and ")) (the working directory and the executable's folder) and in every folder above; "
            + "give one with --cluster FILE (docs/CLUSTER.md)")
    }
}
