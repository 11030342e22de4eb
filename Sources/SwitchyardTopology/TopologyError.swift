/// A topology file that cannot describe a system: the file, the JSON path of the value at fault
/// (`$.nodes[1].gpus`) and what is wrong with it.
public struct TopologyError: Error, CustomStringConvertible, Equatable, Sendable {
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
