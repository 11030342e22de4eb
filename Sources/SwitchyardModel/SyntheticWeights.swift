import SwitchyardKernels
import SwitchyardCore
import SwitchyardModelConfig

/// Number formats a synthetic model or a written checkpoint holds its weights in.
public enum WeightDType: String, Sendable, CaseIterable {
    case f32
    case bf16

    public var safetensors: SafetensorsDType { self == .f32 ? .f32 : .bf16 }
    /// The name transformers writes as config.json's `torch_dtype`.
    public var torchName: String { self == .f32 ? "float32" : "bfloat16" }
}

/// Weights generated from a seed: every tensor from (seed, its name) alone, so a process makes
/// exactly the experts it owns and gets the same numbers as any other process would.
///
/// Matrices are uniform with standard deviation 1/√fan_in, which keeps activations finite through
/// every layer and leaves the router's logits with a spread of about one, so softmax routing sends
/// tokens to every expert. Norm weights are 1 + 0.05·u.
public struct SyntheticWeights: WeightSource {
    public let config: ModelConfig
    public let seed: UInt64
    public let dtype: WeightDType
    /// Shapes of every matrix and vector, experts named one tensor each.
    private let shapes: [String: [Int]]

    public init(config: ModelConfig, seed: UInt64, dtype: WeightDType = .f32) {
        self.config = config
        self.seed = seed
        self.dtype = dtype
        let layout = CheckpointLayout(config: config, expertLayout: .perExpert)
        shapes = Dictionary(uniqueKeysWithValues: layout.tensors.map { ($0.name, $0.shape) })
    }

    public var fingerprint: String { "synthetic:seed=\(seed):dtype=\(dtype.rawValue)" }

    public func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        try check(name, [rows, cols])
        let values = uniform(name, count: rows * cols, halfWidth: (3 / Float(cols)).squareRoot())
        switch dtype {
        case .f32: return WeightMatrix(rows: rows, cols: cols, values: values)
        case .bf16: return WeightMatrix(rows: rows, cols: cols, storage: .bf16(values.map(BFloat16.bits)))
        }
    }

    public func vector(_ name: String, count: Int) throws -> [Float] {
        try check(name, [count])
        let values = uniform(name, count: count, halfWidth: 0.05).map { 1 + $0 }
        return dtype == .f32 ? values : values.map { BFloat16.float(BFloat16.bits($0)) }
    }

    public func expert(layer: Int, expert: Int) throws -> ExpertWeights {
        try ExpertWeights.load(from: self, named: { TensorNames.expert(layer, expert, $0) },
                               hidden: config.hiddenSize, intermediate: config.moeIntermediateSize)
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
