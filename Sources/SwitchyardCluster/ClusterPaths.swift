/// Paths inside a cluster file are relative to the cluster file's folder.
enum ClusterPaths {
    /// `relative` joined to the folder of `file`, with "." and ".." folded lexically: a
    /// relative cluster path gives a relative result, so messages read like what was typed.
    static func resolve(_ relative: String, besides file: String) -> String {
        if relative.hasPrefix("/") { return fold(relative) }
        let folder = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return fold(folder.isEmpty ? relative : folder + "/" + relative)
    }

    static func fold(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
