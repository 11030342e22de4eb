/// A fault to inject into a run, to test and to show how the cluster survives it:
/// `kill:host=3@step=5`, `stop:host=2@step=9,for=2s`, `delay:host=1,ms=5`, `drop:host=4,rate=0.01`.
/// Kill and stop are done to the host's process by the launcher at the start of a workload step;
/// delay and drop by the host itself to every frame it sends (a slow or lossy link: with no tc
/// netem here, the delay is also how distant machines are emulated on one).
public enum InjectedFault: Equatable, Sendable, CustomStringConvertible {
    case kill(host: Int, step: Int)
    case stop(host: Int, step: Int, duration: Duration)
    case delay(host: Int, milliseconds: Double)
    case drop(host: Int, rate: Double)

    public var host: Int {
        switch self {
        case let .kill(host, _), let .stop(host, _, _), let .delay(host, _), let .drop(host, _): host
        }
    }

    /// The workload step at which the launcher acts, for kill and stop.
    public var step: Int? {
        switch self {
        case let .kill(_, step), let .stop(_, step, _): step
        case .delay, .drop: nil
        }
    }

    /// The link delay host `host` gets from `faults` (delay faults add up).
    public static func linkDelay(of host: Int, in faults: [InjectedFault]) -> Duration {
        faults.reduce(.zero) { total, fault in
            if case let .delay(h, ms) = fault, h == host { return total + .microseconds(Int64((ms * 1000).rounded())) }
            return total
        }
    }

    /// The share of its frames host `host` loses under `faults` (the largest drop rate given).
    public static func dropRate(of host: Int, in faults: [InjectedFault]) -> Double {
        faults.reduce(0) { rate, fault in
            if case let .drop(h, r) = fault, h == host { return max(rate, r) }
            return rate
        }
    }

    public var description: String {
        switch self {
        case let .kill(host, step): "kill:host=\(host)@step=\(step)"
        case let .stop(host, step, duration): "stop:host=\(host)@step=\(step),for=\(duration.inSecondsText)s"
        case let .delay(host, ms): "delay:host=\(host),ms=\(ms.cleanText)"
        case let .drop(host, rate): "drop:host=\(host),rate=\(rate.cleanText)"
        }
    }

    /// A bound for parsing before the cluster is known; `check(hosts:)` checks the host later.
    public static let anyHost = 1 << 20

    /// Throws when the fault names a host the cluster does not have.
    public func check(hosts: Int) throws(InjectedFaultError) {
        guard host < hosts else { throw InjectedFaultError(text: description, problem: "host \(host) is not one of the cluster's hosts 0...\(hosts - 1)") }
    }

    /// Parses one `--inject` value; `hosts` bounds the host index.
    public init(parsing text: String, hosts: Int) throws(InjectedFaultError) {
        let (kind, rest) = text.firstIndex(of: ":").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? (text, "")
        var fields: [String: String] = [:]
        var step: Int?
        for item in rest.isEmpty ? [] : rest.split(separator: ",", omittingEmptySubsequences: false) {
            var item = String(item)
            if let at = item.firstIndex(of: "@") {
                let tail = item[item.index(after: at)...]
                guard tail.hasPrefix("step="), let value = Int(tail.dropFirst(5)), (1...1_000_000_000).contains(value) else {
                    throw InjectedFaultError(text: text, problem: "'\(tail)' is not step=N with N ≥ 1")
                }
                step = value
                item = String(item[..<at])
            }
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw InjectedFaultError(text: text, problem: "'\(item)' is not key=value") }
            guard fields[parts[0]] == nil else { throw InjectedFaultError(text: text, problem: "'\(parts[0])' is given twice") }
            fields[parts[0]] = parts[1]
        }
        func take(_ key: String) throws(InjectedFaultError) -> String {
            guard let value = fields.removeValue(forKey: key) else { throw InjectedFaultError(text: text, problem: "needs \(key)=…") }
            return value
        }
        let hostText = try take("host")
        guard let host = Int(hostText), (0..<hosts).contains(host) else {
            throw InjectedFaultError(text: text, problem: "host \(hostText) is not one of the cluster's hosts 0...\(hosts - 1)")
        }
        func number(_ key: String, _ range: ClosedRange<Double>) throws(InjectedFaultError) -> Double {
            var value = try take(key)
            if key == "for", value.hasSuffix("ms") { value.removeLast(2); return (Double(value) ?? -1) / 1000 }
            if key == "for", value.hasSuffix("s") { value.removeLast() }
            guard let number = Double(value), number.isFinite, range.contains(number) else {
                throw InjectedFaultError(text: text, problem: "\(key)=\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        switch kind {
        case "kill":
            guard let step else { throw InjectedFaultError(text: text, problem: "needs @step=N: when to kill the host") }
            self = .kill(host: host, step: step)
        case "stop":
            guard let step else { throw InjectedFaultError(text: text, problem: "needs @step=N: when to stop the host") }
            let seconds = try number("for", 0.001...3600)
            guard seconds > 0 else { throw InjectedFaultError(text: text, problem: "for= must be a duration such as 2s or 500ms") }
            self = .stop(host: host, step: step, duration: .milliseconds(Int64((seconds * 1000).rounded())))
        case "delay":
            self = .delay(host: host, milliseconds: try number("ms", 0...10_000))
        case "drop":
            self = .drop(host: host, rate: try number("rate", 0...1))
        default:
            throw InjectedFaultError(text: text, problem: "'\(kind)' is not a fault (kill, stop, delay or drop)")
        }
        if let extra = fields.keys.sorted().first { throw InjectedFaultError(text: text, problem: "'\(extra)' is not a field of \(kind)") }
        if step != nil, self.step == nil { throw InjectedFaultError(text: text, problem: "\(kind) takes no @step") }
    }
}

public struct InjectedFaultError: Error, Equatable, CustomStringConvertible, Sendable {
    public var text: String
    public var problem: String
    public var description: String { "--inject \(text): \(problem)" }
}

extension Duration {
    var inSecondsText: String {
        let (seconds, attoseconds) = components
        return (Double(seconds) + Double(attoseconds) * 1e-18).cleanText
    }
}

extension Double {
    /// 2 rather than 2.0, 0.01 as it is.
    var cleanText: String { rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}
