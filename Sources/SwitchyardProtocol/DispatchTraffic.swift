import SwitchyardWire
import SwitchyardCore

/// The bytes a plan moves for the payloads of each direction and a hidden size, host by host: what the traffic
/// ledger records. Computed from the wire format's own sizes, so it equals the encoded frames.
public struct DispatchTraffic: Equatable, Sendable {
    public struct Host: Equatable, Sendable {
        public let host: Int
        public let tokens: Int
        public let pairs: Int
        /// Whole dispatch frame (header, routes, activations); 0 when the host gets no message.
        public let dispatchBytes: Int
        /// Whole combine frame the host answers with; 0 when it gets no message.
        public let combineBytes: Int
    }

    public let payload: ActivationPayloads
    public let hidden: Int
    public let hosts: [Host]
    /// What sending one activation per (token, expert) pair, and getting one output back per
    /// pair, would have cost on top: (pairs − tokens) × (12 + a dispatch row + a combine row).
    public let bytesSavedByDeduplication: Int

    public var messages: Int { hosts.filter { $0.dispatchBytes > 0 }.count }
    public var dispatchBytes: Int { hosts.reduce(0) { $0 + $1.dispatchBytes } }
    public var combineBytes: Int { hosts.reduce(0) { $0 + $1.combineBytes } }
}

extension DispatchPlan {
    public func traffic(payload: ActivationPayloads, hidden: Int) -> DispatchTraffic {
        var saved = 0
        let hosts = self.hosts.map { dispatch in
            let tokens = dispatch.tokenCount, pairs = dispatch.pairCount
            let active = dispatch.receivesMessage
            // Per duplicate: a row header (8) and an activation out, a token index (4) and a sum back.
            saved += (pairs - tokens) * (8 + 4 + WireLayout.payloadBytes(rows: 1, width: hidden, type: payload.dispatch)
                                    + WireLayout.payloadBytes(rows: 1, width: hidden, type: payload.combine))
            return DispatchTraffic.Host(
                host: dispatch.host, tokens: tokens, pairs: pairs,
                dispatchBytes: active ? WireLayout.dispatchFrameBytes(tokens: tokens, pairs: pairs, hidden: hidden, type: payload.dispatch) : 0,
                combineBytes: active ? WireLayout.combineFrameBytes(tokens: tokens, hidden: hidden, type: payload.combine) : 0)
        }
        return DispatchTraffic(payload: payload, hidden: hidden, hosts: hosts, bytesSavedByDeduplication: saved)
    }
}

extension DispatchPlan {
    /// `[k]`: how many of the plan's tokens have their experts on k distinct nodes, with host h
    /// on node `nodeOfHost[h]` (0 for hosts it does not name). One bit per node and token, in a
    /// flat array: this runs once per layer on the coordinator.
    public func nodesPerToken(nodeOfHost: [Int]) -> [Int] {
        var nodes: [Int] = []
        let bitOfHost = hosts.map { dispatch -> Int in
            let node = nodeOfHost.indices.contains(dispatch.host) ? nodeOfHost[dispatch.host] : 0
            if let bit = nodes.firstIndex(of: node) { return bit }
            nodes.append(node)
            return nodes.count - 1
        }
        let words = (nodes.count + 63) / 64
        var masks = [UInt64](repeating: 0, count: tokenCount * words)
        for dispatch in hosts where dispatch.receivesMessage {
            let bit = bitOfHost[dispatch.host]
            for token in dispatch.routes.tokens { masks[Int(token) * words + bit / 64] |= 1 << UInt64(bit % 64) }
        }
        var counts = [Int](repeating: 0, count: nodes.count + 1)
        for token in 0..<tokenCount {
            let reached = (0..<words).reduce(0) { $0 + masks[token * words + $1].nonzeroBitCount }
            if reached > 0 { counts[reached] += 1 }
        }
        while counts.count > 1, counts.last == 0 { counts.removeLast() }
        return counts
    }
}
