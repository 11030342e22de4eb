import Foundation
import SwitchyardCore

extension Topology {
    /// Reads and validates a topology file. A file with `base` starts from that file (a path
    /// relative to this one), copies its nodes `node_count` times and replaces the fields it states.
    public static func load(contentsOf url: URL) throws -> Topology {
        try load(url, depth: 0)
    }

    /// Decodes a topology from bytes; `directory` resolves a `base` path.
    public static func decode(_ data: Data, file: String, directory: URL? = nil) throws -> Topology {
        try decode(try JSONField(document: data, file: file), directory: directory, depth: 0)
    }

    private static func load(_ url: URL, depth: Int) throws -> Topology {
        try decode(try JSONField(contentsOfFile: url.path), directory: url.deletingLastPathComponent(), depth: depth)
    }

    private static func decode(_ root: JSONField, directory: URL?, depth: Int) throws -> Topology {
        let defaultName = URL(fileURLWithPath: root.file).deletingPathExtension().lastPathComponent
        if let baseField = root.optionalMember("base") {
            return try decodeDerived(root, base: baseField, directory: directory, defaultName: defaultName, depth: depth)
        }
        return try TopologyReader.topology(root, defaultName: defaultName)
    }

    /// A cluster file: a base node file, a node count, and any of the top-level fields replaced.
    private static func decodeDerived(_ root: JSONField, base baseField: JSONField, directory: URL?,
                                      defaultName: String, depth: Int) throws -> Topology {
        _ = try root.object(allowedKeys: ["base", "node_count", "name", "description", "scale_up", "scale_out", "achievable"])
        guard depth < 4 else { throw baseField.fail("bases nest more than 4 deep") }
        let basePath = try baseField.string()
        let baseURL = basePath.hasPrefix("/") ? URL(fileURLWithPath: basePath)
            : (directory ?? URL(fileURLWithPath: ".")).appendingPathComponent(basePath)
        guard FileManager.default.fileExists(atPath: baseURL.path) else { throw baseField.fail("file \"\(baseURL.path)\" does not exist") }
        var topology = try load(baseURL, depth: depth + 1)
        if let countField = root.optionalMember("node_count") {
            let count = try countField.integer(in: TopologyBounds.nodes)
            // The copies' nodes and GPUs in all, checked before a single copy is made.
            let nodes = count * topology.nodes.count, devices = count * topology.devices.count
            guard nodes <= TopologyBounds.nodes.upperBound, devices <= TopologyBounds.devices.upperBound else {
                throw countField.fail("\(count) copies of \(topology.nodes.count) nodes make \(nodes) nodes and \(devices) GPUs, more than the \(TopologyBounds.nodes.upperBound) nodes and \(TopologyBounds.devices.upperBound) GPUs allowed")
            }
            topology = topology.replicatingNodes(count)
        }
        topology.name = try root.optionalMember("name")?.string() ?? defaultName
        if let d = root.optionalMember("description") { topology.description = try d.string() }
        if let f = root.optionalMember("scale_up") { topology.scaleUp = try TopologyReader.scaleUp(f) }
        if let f = root.optionalMember("scale_out") { topology.scaleOut = try TopologyReader.scaleOut(f) }
        if let f = root.optionalMember("achievable") { topology.achievable = try TopologyReader.achievable(f) }
        if topology.nodes.count > 1, topology.scaleOut == nil {
            throw TopologyError(file: root.file, path: "$.scale_out", problem: "is missing: \(topology.nodes.count) nodes need a scale-out network")
        }
        return topology
    }
}
