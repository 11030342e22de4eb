/// A traffic file that cannot be read: names the file, the line and the field.
public struct TrafficFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
