/// Where a process gets its weights: a checkpoint on disk or the synthetic generator.
///
/// Names are the checkpoint's tensor names (`model.layers.3.self_attn.q_a_proj.weight`).
/// Routed experts are asked for one at a time, so a process that owns 16 of 128 experts
/// reads or generates only those 16.
public protocol WeightSource: Sendable {
    /// A matrix of shape [rows, cols]; an error names the tensor when it is missing or has another shape.
    func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix
    /// A vector (a norm's weight) of `count` values.
    func vector(_ name: String, count: Int) throws -> [Float]
    /// Routed expert `expert` of decoder layer `layer`, whatever layout the source stores it in.
    func expert(layer: Int, expert: Int) throws -> ExpertWeights
    /// Identifies the weights: the synthetic seed, or a digest of a checkpoint's headers.
    var fingerprint: String { get }
}
