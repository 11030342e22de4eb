/// What one expert host was given over a run (or a layer): rows, expert slots, bytes each way.
public struct HostLoad: Sendable, Equatable {
    public var host: Int
    public var messages = 0
    public var tokens = 0
    public var slots = 0
    public var dispatchBytes = 0
    public var combineBytes = 0

    public init(host: Int) { self.host = host }

    /// One entry per host, in host order, from the dispatch and combine records (of one layer when given).
    public static func of(_ records: [TrafficRecord], hosts: Int, layer: Int? = nil) -> [HostLoad] {
        var loads = (0..<hosts).map(HostLoad.init)
        for r in records where layer == nil || Int(r.layer) == layer {
            let h = Int(r.host)
            guard loads.indices.contains(h) else { continue }
            switch r.kind {
            case .dispatch:
                loads[h].messages += 1
                loads[h].tokens += Int(r.tokens)
                loads[h].slots += Int(r.slots)
                loads[h].dispatchBytes += Int(r.wireBytes)
            case .combine:
                loads[h].combineBytes += Int(r.wireBytes)
            }
        }
        return loads
    }
}
