/// Achieved throughput of one direction of one link (coordinator → host k, or back): its bytes
/// over the summed transit times of the messages whose send and receive times are both known.
public struct LinkThroughput: Sendable, Equatable {
    public var source: Int
    public var destination: Int
    public var bytes: Int
    public var messages: Int
    /// Messages with both times known, their bytes and their summed seconds in transit.
    public var timedMessages: Int
    public var timedBytes: Int
    public var transitSeconds: Double

    public var bytesPerSecond: Double? { transitSeconds > 0 ? Double(timedBytes) / transitSeconds : nil }
    public var meanTransitSeconds: Double? { timedMessages > 0 ? transitSeconds / Double(timedMessages) : nil }

    /// Every direction that carried a message, ordered by source then destination.
    public static func of(_ records: [TrafficRecord]) -> [LinkThroughput] {
        var links: [Int: LinkThroughput] = [:]
        for r in records {
            let id = r.source << 32 | r.destination
            var link = links[id] ?? LinkThroughput(source: r.source, destination: r.destination, bytes: 0, messages: 0,
                                                   timedMessages: 0, timedBytes: 0, transitSeconds: 0)
            link.bytes += Int(r.wireBytes)
            link.messages += 1
            if let t = r.transitSeconds {
                link.timedMessages += 1
                link.timedBytes += Int(r.wireBytes)
                link.transitSeconds += t
            }
            links[id] = link
        }
        return links.keys.sorted().map { links[$0]! }
    }
}
