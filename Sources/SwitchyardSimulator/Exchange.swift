/// The time of one exchange (a dispatch or a combine): every port carries the bytes of every
/// pair whose path crosses it, one after another, and the longest message latency is paid once.
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

extension LinkModel {
    /// `pairBytes[src × deviceCount + dst]` bytes go from src to dst; `portBytes` receives each
    /// port's load (it is overwritten; pass a buffer of `ports.count` to avoid allocation).
    public func exchange(pairBytes: [Double], portBytes: inout [Double]) -> ExchangeTime {
        if portBytes.count != ports.count { portBytes = Array(repeating: 0, count: ports.count) }
        for i in portBytes.indices { portBytes[i] = 0 }
        var maxLatency = 0.0
        for p in 0..<(deviceCount * deviceCount) where pairBytes[p] > 0 {
            for i in pathStart[p]..<pathStart[p + 1] { portBytes[pathPorts[i]] += pairBytes[p] }
            maxLatency = max(maxLatency, latency[p])
        }
        var busiest: Int?, longest = 0.0
        for i in ports.indices where portBytes[i] > 0 {
            let t = portBytes[i] / ports[i].capacity
            if t > longest { longest = t; busiest = i }
        }
        return ExchangeTime(seconds: longest + maxLatency, latencySeconds: maxLatency, busiestPort: busiest,
                            busiestPortBytes: busiest.map { portBytes[$0] } ?? 0)
    }
}
