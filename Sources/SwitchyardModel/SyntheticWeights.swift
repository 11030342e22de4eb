import SwitchyardKernels
import SwitchyardCore
import SwitchyardModelConfig

/// Weights generated from a seed: every tensor from (seed, its name) alone, so a process makes
/// exactly the experts it owns and gets the same numbers as any other process would.
///
/// Matrices are uniform with standard deviation 1/√fan_in, which keeps activations finite through
/// every layer and leaves the router's logits with a spread of about one, so softmax routing sends
/// tokens to every expert. Norm weights are 1 + 0.05·u. Lower precisions round those same values:
/// bf16 to nearest even; fp8 quantises Linear weights in 128×128 blocks (an expert's gate and up
/// projections as one fused [2·I, H] matrix, as transformers 5.x holds them) and keeps the rest bf16.
public struct SyntheticWeights: WeightSource {
    public let config: ModelConfig
    public let seed: UInt64
    public let dtype: WeightDType
    /// Shapes of every matrix and vector, experts named one tensor each.
    private let shapes: [String: [Int]]
    /// Each expert projection's tensor name → (layer, expert, projection).
    private let expertProjections: [String: (layer: Int, expert: Int, projection: TensorNames.Projection)]

    public init(config: ModelConfig, seed: UInt64, dtype: WeightDType = .f32) {
        self.config = config
        self.seed = seed
        self.dtype = dtype
        let layout = CheckpointLayout(config: config, expertLayout: .perExpert)
        shapes = Dictionary(uniqueKeysWithValues: layout.tensors.map { ($0.name, $0.shape) })
        expertProjections = Dictionary(uniqueKeysWithValues: layout.tensors.compactMap { tensor in
            guard case let .expertProjection(layer, expert, projection) = tensor.content else { return nil }
            return (tensor.name, (layer, expert, projection))
        })
    }

    public var fingerprint: String { "synthetic:seed=\(seed):dtype=\(dtype.rawValue)" }

    public func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        try check(name, [rows, cols])
        if dtype == .fp8, let (layer, e, projection) = expertProjections[name], projection != .down {
            return try expert(layer: layer, expert: e)[projection]
        }
        return made(name, rows: rows, cols: cols)
    }

    public func vector(_ name: String, count: Int) throws -> [Float] {
        try check(name, [count])
        let values = uniform(name, count: count, halfWidth: 0.05).map { 1 + $0 }
        return dtype == .f32 ? values : values.map { BFloat16.float(BFloat16.bits($0)) }
    }

    public func expert(layer: Int, expert: Int) throws -> ExpertWeights {
        let (i, h) = (config.moeIntermediateSize, config.hiddenSize)
        let gate = TensorNames.expert(layer, expert, .gate), up = TensorNames.expert(layer, expert, .up)
        let down = TensorNames.expert(layer, expert, .down)
        try check(gate, [i, h])
        guard dtype == .fp8 else {
            return ExpertWeights(gateProj: made(gate, rows: i, cols: h), upProj: made(up, rows: i, cols: h), downProj: made(down, rows: h, cols: i))
        }
        let halfWidth = (3 / Float(h)).squareRoot()
        let fused = FP8BlockScaled.quantizing(uniform(gate, count: i * h, halfWidth: halfWidth) + uniform(up, count: i * h, halfWidth: halfWidth),
                                              rows: 2 * i, cols: h)
        return ExpertWeights(gateProj: WeightMatrix(rows: i, cols: h, storage: .fp8(fused.rows(0..<i, cols: h))),
                             upProj: WeightMatrix(rows: i, cols: h, storage: .fp8(fused.rows(i..<2 * i, cols: h))),
                             downProj: made(down, rows: h, cols: i))
    }

    /// Tensor `name`'s values in this dtype, every matrix on its own.
    private func made(_ name: String, rows: Int, cols: Int) -> WeightMatrix {
        let values = uniform(name, count: rows * cols, halfWidth: (3 / Float(cols)).squareRoot())
        switch dtype {
        case .f32: return WeightMatrix(rows: rows, cols: cols, values: values)
        case .fp8 where TensorNames.isFP8Linear(name):
            return WeightMatrix(rows: rows, cols: cols, storage: .fp8(.quantizing(values, rows: rows, cols: cols)))
        case .bf16, .fp8: return WeightMatrix(rows: rows, cols: cols, storage: .bf16(WeightBuffer(values.map(BFloat16.bits))))
        }
    }

    /// `count` values uniform in [-halfWidth, halfWidth), from a generator seeded by the seed and the tensor's name.
    private func uniform(_ name: String, count: Int, halfWidth: Float) -> [Float] {
        var mixer = SplitMix64(seed: seed ^ FNV1a64.hash(name))
        var generator = SplitMix64(seed: mixer.next())
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count { out[i] = (generator.nextFloat() * 2 - 1) * halfWidth }
            initialized = count
        }
    }

    private func check(_ name: String, _ shape: [Int]) throws {
        let file = "synthetic(seed=\(seed))"
        guard let expected = shapes[name] else { throw CheckpointError(file: file, tensor: name, problem: "is not a tensor of this model") }
        guard expected == shape else { throw CheckpointError(file: file, tensor: name, problem: "has shape \(expected), not \(shape)") }
    }
}
