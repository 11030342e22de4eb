/// Bytes and tokens from each endpoint (row) to each endpoint (column); endpoint 0 is the
/// coordinator, k + 1 expert host k.
public struct TrafficMatrix: Sendable, Equatable {
    public let endpoints: Int
    public private(set) var bytes: [Int]
    public private(set) var tokens: [Int]

    public init(endpoints: Int) {
        self.endpoints = endpoints
        bytes = Array(repeating: 0, count: endpoints * endpoints)
        tokens = bytes
    }

    /// The matrix of `records`, optionally of one layer only.
    public init(records: [TrafficRecord], endpoints: Int, layer: Int? = nil) {
        self.init(endpoints: endpoints)
        for record in records where layer == nil || Int(record.layer) == layer {
            add(record)
        }
    }

    public mutating func add(_ record: TrafficRecord) {
        let cell = record.source * endpoints + record.destination
        bytes[cell] += Int(record.wireBytes)
        tokens[cell] += Int(record.tokens)
    }

    public subscript(bytes source: Int, destination: Int) -> Int { bytes[source * endpoints + destination] }
    public subscript(tokens source: Int, destination: Int) -> Int { tokens[source * endpoints + destination] }
    public var totalBytes: Int { bytes.reduce(0, +) }
    public var totalTokens: Int { tokens.reduce(0, +) }
}
