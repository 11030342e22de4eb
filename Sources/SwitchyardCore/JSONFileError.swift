/// A JSON input file (a topology or cluster file) that is wrong somewhere: the file, the JSON
/// path of the value at fault (`$.nodes[1].gpus`, `$` for the whole document) and what is wrong.
public struct JSONFileError: Error, CustomStringConvertible, Equatable, Sendable {
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
