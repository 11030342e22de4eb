/// A checkpoint that cannot be read as asked: the file, the tensor (when one is at fault) and what is wrong.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file at fault, as the user named it or as the directory resolved it.
    public var file: String
    /// The tensor at fault; nil when the problem is the file itself (its header, its length).
    public var tensor: String?
    public var problem: String

    public init(file: String, tensor: String? = nil, problem: String) {
        self.file = file
        self.tensor = tensor
        self.problem = problem
    }

    public var description: String {
        if let tensor { return "\(file): tensor '\(tensor)': \(problem)" }
        return "\(file): \(problem)"
    }
}
