/// A topology device: GPU `gpu` of node `node`.
public struct DevicePosition: Sendable, Hashable, Codable, CustomStringConvertible {
    public var node: Int
    public var gpu: Int
    public init(node: Int, gpu: Int) {
        self.node = node
        self.gpu = gpu
    }

    public var description: String { "node \(node) gpu \(gpu)" }
}
