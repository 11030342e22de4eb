import Foundation

/// Programs found on the PATH (mpirun for the MPI launcher, and what `doctor` looks for).
public enum Executables {
    /// The full path of `name` on the PATH, if it is there and executable.
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
