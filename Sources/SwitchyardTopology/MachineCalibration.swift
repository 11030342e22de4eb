import Foundation

/// `switchyard topology calibrate`'s arithmetic, apart from its measuring: a straight line fitted
/// to timings, a transport's link figures from a ping-pong and a burst, and the topology file of
/// this machine. Pure: every figure comes in as a measurement (docs/TOPOLOGY.md, calibrate).
public enum MachineCalibration {
    /// One timed exchange shape: wire bytes and token records (out and back) and its round trip.
    public struct Timing: Sendable, Equatable {
        public var bytes: Double
        public var tokens: Double
        public var seconds: Double

        public init(bytes: Double, tokens: Double, seconds: Double) {
            self.bytes = bytes
            self.tokens = tokens
            self.seconds = seconds
        }
    }

    /// seconds = intercept + perByte · bytes + perToken · tokens by least squares (the normal
    /// equations); nil when the points do not pin the three down (fewer than three, or bytes and
    /// tokens in one proportion: sweep two row widths). `bytesOnly`: the line on bytes, perToken 0.
    public static func plane(_ points: [Timing], bytesOnly: Bool = false) -> (intercept: Double, perByte: Double, perToken: Double)? {
        guard points.count >= (bytesOnly ? 2 : 3) else { return nil }
        let n = Double(points.count)
        func mean(_ f: (Timing) -> Double) -> Double { points.reduce(0) { $0 + f($1) } / n }
        let mb = mean(\.bytes), mt = mean(\.tokens), ms = mean(\.seconds)
        var sbb = 0.0, stt = 0.0, sbt = 0.0, sbs = 0.0, sts = 0.0
        for p in points {
            let b = p.bytes - mb, t = p.tokens - mt, y = p.seconds - ms
            sbb += b * b; stt += t * t; sbt += b * t; sbs += b * y; sts += t * y
        }
        if bytesOnly {
            guard sbb > 0 else { return nil }
            return (ms - sbs / sbb * mb, sbs / sbb, 0)
        }
        let det = sbb * stt - sbt * sbt
        guard det > 1e-12 * sbb * stt, det > 0 else { return nil }
        let perByte = (sbs * stt - sts * sbt) / det, perToken = (sts * sbb - sbs * sbt) / det
        return (ms - perByte * mb - perToken * mt, perByte, perToken)
    }

    /// `plane`, or when noise makes it say a byte or a token costs less than nothing (bytes and
    /// token records grow together, so their split is the fragile part) a line on bytes alone.
    static func robustPlane(_ points: [Timing], _ what: String) throws(FitError) -> (intercept: Double, perByte: Double, perToken: Double) {
        if let fit = plane(points), fit.perByte > 0, fit.perToken >= 0 { return fit }
        guard let fit = plane(points.map { Timing(bytes: $0.bytes, tokens: 0, seconds: $0.seconds) } + [], bytesOnly: true) else {
            throw .tooFewPoints(what)
        }
        guard fit.perByte > 0 else { throw .notIncreasing(what) }
        return fit
    }

    /// A transport's figures as the link model uses them (docs/SIMULATOR.md, port time).
    public struct Link: Sendable, Equatable {
        /// One message's latency, paid once per dispatch or combine.
        public var latencySeconds: Double
        /// Fixed seconds each further message adds to an exchange (both ends' work, wake-ups).
        public var messageSeconds: Double
        /// Seconds each token record adds (framing, decoding, checking a row), every link at once.
        public var tokenSeconds: Double
        /// One link's bytes per second: the ping-pong's.
        public var linkBytesPerSecond: Double
        /// Bytes per second of every link at once: the burst's.
        public var sharedBytesPerSecond: Double

        public init(latencySeconds: Double, messageSeconds: Double, tokenSeconds: Double, linkBytesPerSecond: Double, sharedBytesPerSecond: Double) {
            self.latencySeconds = latencySeconds
            self.messageSeconds = messageSeconds
            self.tokenSeconds = tokenSeconds
            self.linkBytesPerSecond = linkBytesPerSecond
            self.sharedBytesPerSecond = sharedBytesPerSecond
        }
    }

    public enum FitError: Error, Equatable, CustomStringConvertible {
        case tooFewPoints(String)
        case notIncreasing(String)

        public var description: String {
            switch self {
            case let .tooFewPoints(what): "\(what): the sizes measured do not pin down a fit (need three or more, over two row widths)"
            case let .notIncreasing(what): "\(what): time did not grow with bytes (a cost per byte ≤ 0); measure again with more repetitions"
            }
        }
    }

    /// The link model's figures from a ping-pong (one host: each round trip one message out and
    /// one back) and a burst (`hosts` hosts: `hosts` messages each way), each swept over sizes and
    /// two row widths. The link model times a round trip of k messages each way carrying B bytes
    /// and R token records as 2·latency + 2·k·message + B / bandwidth + R · token, so the two
    /// fits' intercepts give the message cost, (a_burst − a_pingpong) / (2·(hosts − 1)), and the
    /// latency, a_pingpong / 2 − message; their per-byte costs give the bandwidths, the burst's
    /// per-token cost the token cost. Negative costs are clipped to 0; a fit whose per-byte or
    /// per-token cost comes out negative is made again on bytes alone (no token cost).
    public static func link(pingPong: [Timing], burst: [Timing], hosts: Int) throws(FitError) -> Link {
        let one = try robustPlane(pingPong, "ping-pong"), many = try robustPlane(burst, "burst")
        let message = hosts > 1 ? max(0, (many.intercept - one.intercept) / Double(2 * (hosts - 1))) : 0
        let latency = max(0, one.intercept / 2 - message)
        return Link(latencySeconds: latency, messageSeconds: message, tokenSeconds: max(0, many.perToken),
                    linkBytesPerSecond: 1 / one.perByte, sharedBytesPerSecond: 1 / many.perByte)
    }

    /// One size timed after an idle gap and back to back in the same turns (`AlltoallSweep`'s
    /// gaps take turns): the two median round trips.
    public struct ColdTiming: Sendable, Equatable {
        public var idleSeconds: Double
        public var seconds: Double
        public var hotSeconds: Double

        public init(idleSeconds: Double, seconds: Double, hotSeconds: Double) {
            self.idleSeconds = idleSeconds
            self.seconds = seconds
            self.hotSeconds = hotSeconds
        }
    }

    /// The wake-up curve from cold round trips of a ping-pong (one host) and a burst (`hosts`
    /// hosts). At each gap both measured, the extra time over back to back, averaged over sizes, is
    /// e(1) and e(hosts); the projection charges an exchange of k dispatch messages after that gap
    /// latency + k · message cost, so message cost = (e(hosts) − e(1)) / (hosts − 1) and latency =
    /// e(1) − message cost, each clipped to 0 (noise can make a longer gap look cheaper: kept as
    /// measured). Points by increasing gap; none when no gap was measured by both.
    public static func wakeUp(pingPong: [ColdTiming], burst: [ColdTiming], hosts: Int) -> WakeUpCosts {
        func extra(_ timings: [ColdTiming]) -> [Double: Double] {
            Dictionary(grouping: timings, by: \.idleSeconds).mapValues { group in group.reduce(0) { $0 + $1.seconds - $1.hotSeconds } / Double(group.count) }
        }
        let one = extra(pingPong), many = extra(burst)
        return WakeUpCosts(points: one.keys.filter { many[$0] != nil && $0 > 0 }.sorted().map { idle in
            let message = hosts > 1 ? max(0, (many[idle]! - one[idle]!) / Double(hosts - 1)) : 0
            return WakeUpCosts.Point(idleSeconds: idle, latencySeconds: max(0, one[idle]! - message), messageSeconds: message)
        })
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
        /// Weight bytes a second of `hosts` processes at once by tokens a call; empty: not measured.
        public var sharedStreaming: [WeightStreaming.Point]

        public init(memoryBytesPerSecond: Double, flops: Double, sharedMemoryBytesPerSecond: Double, sharedFLOPS: Double,
                    sharedStreaming: [WeightStreaming.Point] = []) {
            self.memoryBytesPerSecond = memoryBytesPerSecond
            self.flops = flops
            self.sharedMemoryBytesPerSecond = sharedMemoryBytesPerSecond
            self.sharedFLOPS = sharedFLOPS
            self.sharedStreaming = sharedStreaming
        }
    }

    /// The topology file (a JSON object for `JSONStyle`) of one machine whose `devices` processes
    /// share its CPU: one node of `devices` "GPUs" of the model `cpu`, the chosen transport as a
    /// blocking switched fabric whose aggregate is the burst's bandwidth (every message crosses the
    /// node's one shared port: the CPU doing the copying, framing and waking; each device's own port
    /// is no slower, so the shared one binds) with its wake-up curve, achievable fractions 1
    /// (measured, not peaks).
    public static func topology(name: String, description: String, devices: Int, memoryBytes: Double, experts: Experts,
                                fabricName: String, link: Link, wakeUp: WakeUpCosts = .none) -> [String: Any] {
        func rate(_ bytesPerSecond: Double) -> String { "\(significant(bytesPerSecond / 1e6)) MB/s" }
        func flops(_ value: Double) -> String { "\(significant(value / 1e9)) GFLOPS" }
        func duration(_ seconds: Double) -> String { "\(significant(seconds * 1e9)) ns" }
        // Each device's port at least as fast as the shared one, so the shared port (the CPU) binds.
        var scaleUp: [String: Any] = [
            "name": fabricName, "bandwidth_each_way": rate(max(link.sharedBytesPerSecond, link.linkBytesPerSecond)),
            "latency": duration(link.latencySeconds),
            "switched": true, "non_blocking": false, "aggregate_bandwidth": rate(link.sharedBytesPerSecond),
            "message_cost": duration(link.messageSeconds), "token_cost": duration(link.tokenSeconds),
        ]
        if !wakeUp.points.isEmpty {
            scaleUp["wake_up"] = wakeUp.points.map { p in
                ["idle": duration(p.idleSeconds), "latency": duration(p.latencySeconds), "message_cost": duration(p.messageSeconds)]
            }
        }
        var shared: [String: Any] = ["memory_bandwidth": rate(experts.sharedMemoryBytesPerSecond), "throughput": flops(experts.sharedFLOPS)]
        if !experts.sharedStreaming.isEmpty {
            shared["weight_streaming"] = experts.sharedStreaming.map { ["tokens": $0.tokens, "memory_bandwidth": rate($0.bytesPerSecond)] }
        }
        return [
            "name": name, "description": description,
            "gpu_models": ["cpu": ["memory": "\(significant(memoryBytes / 1e9)) GB", "hbm_bandwidth": rate(experts.memoryBytesPerSecond),
                                   "dense_throughput": ["bf16": flops(experts.flops)]]],
            "nodes": [["name": "node0", "gpu_model": "cpu", "gpus": devices,
                       "shared_compute": shared]],
            "scale_up": scaleUp,
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
