/// A cluster file that cannot describe a cluster: the file, the JSON path (`hosts[3].port`)
/// and what is wrong there.
public struct ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var problem: String

    public init(file: String, path: String, problem: String) {
        self.file = file
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(file): \(path): \(problem)" }
}
