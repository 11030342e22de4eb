import SwitchyardCore
import SwitchyardModel
import SwitchyardProtocol

/// Every routed expert in this process: a cluster of one host, run without a network. The layer
/// is planned (`DispatchPlan` on a one-host placement), computed (`HostComputation`) and summed
/// (`CombineAccumulator`) by the very code an expert host and its coordinator use, so one process
/// and a cluster agree by construction.
public struct LocalExperts: OverlappingExpertBackend, Sendable {
    public let weights: RoutedExpertWeights
    public let hiddenSize: Int
    let placement: Placement
    let computation: HostComputation

    /// `weights` must hold every expert, 0..<n.
    public init(weights: RoutedExpertWeights, hiddenSize: Int) {
        precondition(weights.owned == Array(0..<weights.owned.count), "LocalExperts needs every routed expert, 0..<n")
        self.weights = weights
        self.hiddenSize = hiddenSize
        // One host owning experts 0..<n cannot fail to place.
        placement = try! Placement(.contiguous, experts: max(1, weights.owned.count), hosts: 1)
        computation = HostComputation(placement: placement, host: 0, hidden: hiddenSize)
    }

    public func routedExperts(layer: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> [Float] {
        let plan = try DispatchPlan(routing: routing, placement: placement)
        var combine = CombineAccumulator(plan: plan, hidden: hiddenSize)
        let share = plan.hosts[0]
        guard share.receivesMessage else { return try combine.output() }
        // Every token has experts, all on this one host: its rows are the batch's rows, in order.
        let sums = try computation.partialSums(routes: share.routes, activations: input) { expert, rows, count in
            guard weights.experts.indices.contains(layer), let expertWeights = weights.experts[layer][expert] else {
                throw MissingExpertError(layer: layer, expert: expert)
            }
            return expertWeights.forward(rows, tokens: count)
        }
        try combine.receive(host: 0, tokens: share.routes.tokens, partialSums: sums)
        return try combine.output()
    }

    /// In one process there is nothing to overlap: the sum is ready at once.
    public func beginRoutedExperts(layer: Int, microBatch: Int, input: [Float], tokens: Int, routing: RoutingDecision) throws -> ExpertTicket {
        ExpertTicket(id: 0, ready: try routedExperts(layer: layer, input: input, tokens: tokens, routing: routing))
    }

    public func finishRoutedExperts(_ ticket: ExpertTicket) throws -> [Float] {
        guard let ready = ticket.ready else { throw MissingExpertError(layer: nil, expert: -1) }
        return ready
    }
}
