/// A topology device: GPU `gpu` of node `node`.
public struct DevicePosition: Sendable, Hashable, Codable, CustomStringConvertible {
    public var node: Int
    public var gpu: Int
    public init(node: Int, gpu: Int) {
        self.node = node
        self.gpu = gpu
    }

    enum CodingKeys: String, CodingKey { case node, gpu }

    /// Node and GPU are indexes: never negative.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        node = try c.decode(Int.self, forKey: .node)
        gpu = try c.decode(Int.self, forKey: .gpu)
        for (key, value) in [(CodingKeys.node, node), (.gpu, gpu)] where value < 0 {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(value) is negative")
        }
    }

    public var description: String { "node \(node) gpu \(gpu)" }
}
