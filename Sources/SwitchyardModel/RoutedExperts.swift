import SwitchyardCore

/// Computes the routed experts' contribution of one layer: for each token, the gate-weighted sum
/// of its chosen experts' outputs. The single-process model does it locally; the coordinator of a
/// cluster sends the work to the expert hosts.
public protocol RoutedExpertBackend {
    func routedExperts(layer: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> [Float]
}

/// Routed experts held in this process.
public struct LocalExperts: RoutedExpertBackend, Sendable {
    public let weights: RoutedExpertWeights
    public let hiddenSize: Int

    public init(weights: RoutedExpertWeights, hiddenSize: Int) {
        self.weights = weights
        self.hiddenSize = hiddenSize
    }

    public func routedExperts(layer: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> [Float] {
        var output = [Float](repeating: 0, count: tokens * hiddenSize)
        try ExpertGrouping.accumulate(
            into: &output, input: input, hidden: hiddenSize, experts: weights.experts[layer], routing: routing,
            tokens: Array(0..<tokens))
        return output
    }
}

public struct MissingExpertError: Error, CustomStringConvertible {
    public let layer: Int?
    public let expert: Int

    public init(layer: Int?, expert: Int) {
        self.layer = layer
        self.expert = expert
    }

    public var description: String { "expert \(expert) is not held by this process" }
}

/// Runs each expert once over all the tokens routed to it.
public enum ExpertGrouping {
    /// Adds Σ weight · expert(x) into `output` rows, for the (token, slot) pairs whose expert is in
    /// `experts`. `tokens[i]` names the routing row of input row i; experts run in ascending id order.
    public static func accumulate(
        into output: inout [Float], input: [Float], hidden: Int, experts: [Int: ExpertWeights],
        routing: RoutingDecision, tokens: [Int], requireAll: Bool = true
    ) throws {
        var rowsByExpert: [Int: [(row: Int, weight: Float)]] = [:]
        for (row, token) in tokens.enumerated() {
            for slot in 0..<routing.topK {
                let expert = routing.expert(token: token, slot: slot)
                guard experts[expert] != nil else {
                    if requireAll { throw MissingExpertError(layer: nil, expert: expert) }
                    continue
                }
                rowsByExpert[expert, default: []].append((row, routing.weight(token: token, slot: slot)))
            }
        }
        for expert in rowsByExpert.keys.sorted() {
            let rows = rowsByExpert[expert]!
            var gathered = [Float](repeating: 0, count: rows.count * hidden)
            for (i, entry) in rows.enumerated() {
                for d in 0..<hidden { gathered[i * hidden + d] = input[entry.row * hidden + d] }
            }
            let result = experts[expert]!.forward(gathered, tokens: rows.count)
            for (i, entry) in rows.enumerated() {
                for d in 0..<hidden { output[entry.row * hidden + d] += entry.weight * result[i * hidden + d] }
            }
        }
    }
}
