/// A launch that cannot start because of what it was given (a flag's value, a file, a cluster
/// that does not fit the command): the command line exits 2 with this message.
public struct LaunchInputError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A launch that started and then failed at run time (a launcher that exited badly): exit 1.
public struct LaunchFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
