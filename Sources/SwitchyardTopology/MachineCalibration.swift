import Foundation

/// `switchyard topology calibrate`'s arithmetic, apart from its measuring: a straight line fitted
/// to timings, a transport's link figures from a ping-pong and a burst, and the topology file of
/// this machine. Pure: every figure comes in as a measurement (docs/TOPOLOGY.md, calibrate).
public enum MachineCalibration {
    /// One timed exchange shape: wire bytes (out and back) and its round trip in seconds.
    public struct Timing: Sendable, Equatable {
        public var bytes: Double
        public var seconds: Double

        public init(bytes: Double, seconds: Double) {
            self.bytes = bytes
            self.seconds = seconds
        }
    }

    /// y = intercept + slope · x by least squares; nil with fewer than two distinct x.
    public static func line(_ points: [Timing]) -> (intercept: Double, slope: Double)? {
        let n = Double(points.count)
        guard points.count >= 2 else { return nil }
        let mx = points.reduce(0) { $0 + $1.bytes } / n, my = points.reduce(0) { $0 + $1.seconds } / n
        let sxx = points.reduce(0) { $0 + ($1.bytes - mx) * ($1.bytes - mx) }
        guard sxx > 0 else { return nil }
        let sxy = points.reduce(0) { $0 + ($1.bytes - mx) * ($1.seconds - my) }
        let slope = sxy / sxx
        return (my - slope * mx, slope)
    }

    /// A transport's figures as the link model uses them (docs/SIMULATOR.md, port time).
    public struct Link: Sendable, Equatable {
        /// One message's latency, paid once per dispatch or combine.
        public var latencySeconds: Double
        /// Fixed seconds each further message adds to an exchange (both ends' work, wake-ups).
        public var messageSeconds: Double
        /// One link's bytes per second: the ping-pong's slope.
        public var linkBytesPerSecond: Double
        /// Bytes per second of every link at once: the burst's slope.
        public var sharedBytesPerSecond: Double

        public init(latencySeconds: Double, messageSeconds: Double, linkBytesPerSecond: Double, sharedBytesPerSecond: Double) {
            self.latencySeconds = latencySeconds
            self.messageSeconds = messageSeconds
            self.linkBytesPerSecond = linkBytesPerSecond
            self.sharedBytesPerSecond = sharedBytesPerSecond
        }
    }

    public enum FitError: Error, Equatable, CustomStringConvertible {
        case tooFewPoints(String)
        case notIncreasing(String)

        public var description: String {
            switch self {
            case let .tooFewPoints(what): "\(what): fewer than two message sizes to fit a line through"
            case let .notIncreasing(what): "\(what): time did not grow with bytes (a slope ≤ 0); measure again with more repetitions"
            }
        }
    }

    /// The link model's figures from a ping-pong (one host: each round trip one message out and
    /// one back) and a burst (`hosts` hosts: `hosts` messages each way). The link model times a
    /// round trip of k messages each way as 2·latency + 2·k·message + bytes / bandwidth, so the two
    /// intercepts give the message cost, (a_burst − a_pingpong) / (2·(hosts − 1)), and the latency,
    /// a_pingpong / 2 − message; the slopes give the bandwidths. Negative costs are clipped to 0.
    public static func link(pingPong: [Timing], burst: [Timing], hosts: Int) throws(FitError) -> Link {
        guard let one = line(pingPong) else { throw .tooFewPoints("ping-pong") }
        guard let many = line(burst) else { throw .tooFewPoints("burst") }
        guard one.slope > 0 else { throw .notIncreasing("ping-pong") }
        guard many.slope > 0 else { throw .notIncreasing("burst") }
        let message = hosts > 1 ? max(0, (many.intercept - one.intercept) / Double(2 * (hosts - 1))) : 0
        let latency = max(0, one.intercept / 2 - message)
        return Link(latencySeconds: latency, messageSeconds: message, linkBytesPerSecond: 1 / one.slope,
                    sharedBytesPerSecond: 1 / many.slope)
    }

    /// The CPU's expert kernels: alone (one process, as one host runs them) and with `hosts`
    /// processes' worth of them at once (the concurrency of a run).
    public struct Experts: Sendable, Equatable {
        /// Weight bytes streamed per second by few-token products (memory-bound).
        public var memoryBytesPerSecond: Double
        /// FLOPs per second of many-token products (compute-bound).
        public var flops: Double
        public var sharedMemoryBytesPerSecond: Double
        public var sharedFLOPS: Double

        public init(memoryBytesPerSecond: Double, flops: Double, sharedMemoryBytesPerSecond: Double, sharedFLOPS: Double) {
            self.memoryBytesPerSecond = memoryBytesPerSecond
            self.flops = flops
            self.sharedMemoryBytesPerSecond = sharedMemoryBytesPerSecond
            self.sharedFLOPS = sharedFLOPS
        }
    }

    /// The topology file (a JSON object for `JSONStyle`) of one machine whose `devices` processes
    /// share its CPU: one node of `devices` "GPUs" of the model `cpu`, the chosen transport as a
    /// blocking switched fabric (every message crosses the node's one shared port: the CPU doing
    /// the copying), achievable fractions 1 (the figures are measured, not peaks).
    public static func topology(name: String, description: String, devices: Int, memoryBytes: Double, experts: Experts,
                                fabricName: String, link: Link) -> [String: Any] {
        func rate(_ bytesPerSecond: Double) -> String { "\(significant(bytesPerSecond / 1e6)) MB/s" }
        func flops(_ value: Double) -> String { "\(significant(value / 1e9)) GFLOPS" }
        func duration(_ seconds: Double) -> String { "\(significant(seconds * 1e9)) ns" }
        return [
            "name": name, "description": description,
            "gpu_models": ["cpu": ["memory": "\(significant(memoryBytes / 1e9)) GB", "hbm_bandwidth": rate(experts.memoryBytesPerSecond),
                                   "dense_throughput": ["bf16": flops(experts.flops)]]],
            "nodes": [["name": "node0", "gpu_model": "cpu", "gpus": devices,
                       "shared_compute": ["memory_bandwidth": rate(experts.sharedMemoryBytesPerSecond), "throughput": flops(experts.sharedFLOPS)]]],
            "scale_up": ["name": fabricName, "bandwidth_each_way": rate(link.linkBytesPerSecond), "latency": duration(link.latencySeconds),
                         "switched": true, "non_blocking": false, "aggregate_bandwidth": rate(min(link.sharedBytesPerSecond, link.linkBytesPerSecond)),
                         "message_cost": duration(link.messageSeconds)],
            "achievable": ["compute": 1, "hbm": 1, "scale_up": 1, "scale_out": 1],
        ]
    }

    /// Four significant digits, as a plain decimal ("1234", "12.35", "0.001235").
    static func significant(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return "0" }
        var digits = 3 - Int(log10(abs(value)).rounded(.down))
        digits = max(0, min(12, digits))
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
