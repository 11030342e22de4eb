import SwitchyardWire

/// Collects the hosts' partial sums for one layer and adds them in host order, whatever order
/// they arrive in, so the layer's output does not depend on the network.
public struct CombineAccumulator: Sendable {
    public let plan: DispatchPlan
    public let hidden: Int
    /// When set, frames for another step, layer or micro-batch are refused.
    public let address: FrameAddress?
    private var replies: [ActivationRows?]
    /// Hosts whose share was given up (the host was lost and its pairs sent elsewhere).
    public private(set) var abandoned: Set<Int> = []

    public init(plan: DispatchPlan, hidden: Int, address: FrameAddress? = nil) {
        self.plan = plan
        self.hidden = hidden
        self.address = address
        self.replies = Array(repeating: nil, count: plan.hostCount)
    }

    /// Stores host `host`'s reply: one row of `hidden` sums per token, in that host's token order.
    public mutating func receive(host: Int, tokens: [UInt32], partialSums: [Float]) throws(CombineError) {
        try check(host: host, tokens: tokens, values: partialSums.count, width: hidden)
        replies[host] = ActivationRows(rows: tokens.count, width: hidden, storage: .f32(partialSums))
    }

    /// Stores host `host`'s reply as it came over the wire (bf16 stays bf16 until it is added).
    public mutating func receive(host: Int, tokens: [UInt32], partialSums: ActivationRows) throws(CombineError) {
        try check(host: host, tokens: tokens, values: partialSums.rows * partialSums.width, width: partialSums.width)
        replies[host] = partialSums
    }

    /// Checks a reply of `values` sums in rows of `width` for `tokens` from `host`.
    private func check(host: Int, tokens: [UInt32], values: Int, width: Int) throws(CombineError) {
        guard (0..<plan.hostCount).contains(host) else { throw .unknownHost(host: host, hosts: plan.hostCount) }
        let expected = plan.hosts[host].routes.tokens
        guard !expected.isEmpty else { throw .unexpectedHost(host: host) }
        guard replies[host] == nil, !abandoned.contains(host) else { throw .duplicateReply(host: host) }
        guard tokens == expected else {
            let row = zip(tokens, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(tokens.count, expected.count)
            throw .wrongTokens(host: host, expectedCount: expected.count, receivedCount: tokens.count, firstDifferentRow: row)
        }
        guard values == expected.count * hidden, width == hidden else {
            throw .wrongSize(host: host, expected: expected.count * hidden, received: values)
        }
    }

    /// Stores a decoded combine frame; an error frame from a host is rethrown as `hostFailed`.
    public mutating func receive(_ frame: WireFrame) throws(CombineError) {
        if case let .error(failure) = frame.body { throw .hostFailed(host: frame.host, failure: failure) }
        guard case let .combine(combine) = frame.body else { throw .notCombine(host: frame.host, kind: frame.kind) }
        if let address, frame.address != address { throw .wrongAddress(host: frame.host, expected: address, received: frame.address) }
        try receive(host: frame.host, tokens: combine.tokens, partialSums: combine.partialSums)
    }

    /// Hosts that were sent tokens and have not answered, ascending.
    public var missingHosts: [Int] { plan.activeHosts.filter { replies[$0] == nil && !abandoned.contains($0) } }

    /// Gives up on `host`'s answer: its pairs are being computed elsewhere.
    public mutating func abandon(host: Int) {
        if replies.indices.contains(host), replies[host] == nil { abandoned.insert(host) }
    }
    public var isComplete: Bool { missingHosts.isEmpty }

    /// Adds every host's partial sums onto `output` (`tokenCount × hidden`), host 0 first.
    public func add(into output: inout [Float]) throws(CombineError) {
        let missing = missingHosts
        guard missing.isEmpty else { throw .incomplete(missingHosts: missing) }
        precondition(output.count == plan.tokenCount * hidden, "output holds \(output.count) values, not \(plan.tokenCount) × \(hidden)")
        output.withUnsafeMutableBufferPointer { output in
            for dispatch in plan.hosts {
                replies[dispatch.host]?.add(into: output, rows: dispatch.routes.tokens)
            }
        }
    }

    /// The routed experts' contribution to every token, `tokenCount × hidden`.
    public func output() throws(CombineError) -> [Float] {
        var output = [Float](repeating: 0, count: plan.tokenCount * hidden)
        try add(into: &output)
        return output
    }
}

public enum CombineError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownHost(host: Int, hosts: Int)
    /// The host was sent no tokens this layer.
    case unexpectedHost(host: Int)
    case duplicateReply(host: Int)
    case wrongTokens(host: Int, expectedCount: Int, receivedCount: Int, firstDifferentRow: Int)
    case wrongSize(host: Int, expected: Int, received: Int)
    case wrongAddress(host: Int, expected: FrameAddress, received: FrameAddress)
    case notCombine(host: Int, kind: FrameKind)
    case hostFailed(host: Int, failure: Failure)
    case incomplete(missingHosts: [Int])

    public var description: String {
        switch self {
        case let .unknownHost(host, hosts): "a reply from host \(host), but hosts are 0...\(hosts - 1)"
        case let .unexpectedHost(host): "host \(host) replied, but it was sent no tokens"
        case let .duplicateReply(host): "host \(host) replied twice"
        case let .wrongTokens(host, expected, received, row):
            "host \(host) replied for \(received) tokens where \(expected) were sent; the lists differ from row \(row)"
        case let .wrongSize(host, expected, received): "host \(host) sent \(received) sums, expected \(expected)"
        case let .wrongAddress(host, expected, received): "host \(host) replied for \(received), expected \(expected)"
        case let .notCombine(host, kind): "host \(host) sent a \(kind) frame where a combine was expected"
        case let .hostFailed(host, failure): "host \(host) reported \(failure.code): \(failure.message)"
        case let .incomplete(missing): "no reply yet from host(s) \(missing.map(String.init).joined(separator: ", "))"
        }
    }
}
