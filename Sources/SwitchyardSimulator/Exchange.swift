/// The time of one exchange (a dispatch or a combine): every port carries the bytes, messages
/// and token records of every pair whose route crosses it, one after another, and the longest
/// route's latency is paid once.
public struct ExchangeTime: Sendable, Equatable {
    public var seconds: Double
    /// The part of `seconds` that is latency.
    public var latencySeconds: Double
    /// The port that took longest, nil when nothing moved.
    public var busiestPort: Int?
    public var busiestPortBytes: Double
    /// Bytes the busiest port carried per second of the exchange.
    public var busiestPortBandwidth: Double { seconds > 0 ? busiestPortBytes / seconds : 0 }
}

/// What one exchange sends between ordered device pairs: `bytes[src × deviceCount + dst]`, in how
/// many messages, carrying how many token records.
public struct PairTraffic: Sendable, Equatable {
    public let deviceCount: Int
    public var bytes: [Double]
    public var messages: [Double]
    public var tokens: [Double]
    /// Cross-node pairs go NIC to NIC on any rail instead of forwarding over the destination's rail.
    public var direct = false
    /// The longest route a token takes when it is longer than any one pair's (a forwarded second
    /// hop); nil: the longest latency among the pairs that moved anything.
    public var routeLatency: Double?

    public init(deviceCount: Int) {
        self.deviceCount = deviceCount
        bytes = Array(repeating: 0, count: deviceCount * deviceCount)
        messages = bytes
        tokens = bytes
    }

    /// Bytes only, one message per pair that sends anything and no token records.
    public init(deviceCount: Int, bytes: [Double]) {
        self.init(deviceCount: deviceCount)
        self.bytes = bytes
        messages = bytes.map { $0 > 0 ? 1 : 0 }
    }

    public mutating func clear() {
        for i in bytes.indices { bytes[i] = 0; messages[i] = 0; tokens[i] = 0 }
        routeLatency = nil
    }

    /// Bytes each of the first `devices` devices sends.
    public func sent(devices: Int) -> [Double] {
        (0..<devices).map { s in (0..<deviceCount).reduce(0) { $0 + bytes[s * deviceCount + $1] } }
    }
}

extension LinkModel {
    /// `pairBytes[src × deviceCount + dst]` bytes go from src to dst, one message a pair;
    /// `portBytes` receives each port's load (overwritten; pass a buffer of `ports.count` to avoid allocation).
    public func exchange(pairBytes: [Double], portBytes: inout [Double]) -> ExchangeTime {
        exchange(PairTraffic(deviceCount: deviceCount, bytes: pairBytes), portBytes: &portBytes)
    }

    /// Port time = bytes / capacity + messages × message cost + token records × token cost; the
    /// exchange takes its slowest port's time plus the longest route's latency.
    public func exchange(_ traffic: PairTraffic, portBytes: inout [Double]) -> ExchangeTime {
        precondition(traffic.deviceCount == deviceCount)
        if portBytes.count != ports.count { portBytes = Array(repeating: 0, count: ports.count) }
        for i in portBytes.indices { portBytes[i] = 0 }
        var portMessages = portBytes, portTokens = portBytes
        let start = traffic.direct ? directPathStart : pathStart, path = traffic.direct ? directPathPorts : pathPorts
        let latency = traffic.direct ? directLatency : self.latency
        var maxLatency = 0.0
        for p in 0..<(deviceCount * deviceCount) where traffic.bytes[p] > 0 || traffic.messages[p] > 0 {
            for i in start[p]..<start[p + 1] {
                portBytes[path[i]] += traffic.bytes[p]
                portMessages[path[i]] += traffic.messages[p]
                portTokens[path[i]] += traffic.tokens[p]
            }
            maxLatency = max(maxLatency, latency[p])
        }
        if let route = traffic.routeLatency { maxLatency = max(maxLatency, route) }
        var busiest: Int?, longest = 0.0
        for i in ports.indices where portBytes[i] > 0 || portMessages[i] > 0 {
            let t = ports[i].seconds(bytes: portBytes[i], messages: portMessages[i], tokens: portTokens[i])
            if t > longest { longest = t; busiest = i }
        }
        return ExchangeTime(seconds: longest + maxLatency, latencySeconds: maxLatency, busiestPort: busiest,
                            busiestPortBytes: busiest.map { portBytes[$0] } ?? 0)
    }
}
