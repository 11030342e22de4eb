/// The router's choice for a batch of tokens: `topK` (expert, gate weight) pairs per token,
/// in the order the router ranked them.
public struct RoutingDecision: Equatable, Sendable {
    public let tokenCount: Int
    public let topK: Int
    /// Expert ids, `tokenCount × topK`, token-major.
    public var experts: [Int32]
    /// Gate weights, the same shape, already normalised and scaled by routed_scaling_factor.
    public var weights: [Float]

    public init(tokenCount: Int, topK: Int, experts: [Int32], weights: [Float]) {
        precondition(experts.count == tokenCount * topK && weights.count == tokenCount * topK, "routing arrays do not match tokens × topK")
        self.tokenCount = tokenCount
        self.topK = topK
        self.experts = experts
        self.weights = weights
    }

    public func expert(token: Int, slot: Int) -> Int { Int(experts[token * topK + slot]) }
    public func weight(token: Int, slot: Int) -> Float { weights[token * topK + slot] }
}
