import SwitchyardCore

/// How a weight's numbers are held in memory. Kernels compute in float32 whatever the storage.
/// Weights read from a checkpoint stay in the memory-mapped file (`WeightBuffer`), copied only
/// where a tensor's bytes are not aligned for its type (or, for F16, widened to float32).
public enum WeightStorage: Sendable {
    case f32(WeightBuffer<Float>)
    /// bfloat16 bit patterns: the upper 16 bits of a float32.
    case bf16(WeightBuffer<UInt16>)
    /// FP8 E4M3 codes with 128×128 block scales.
    case fp8(FP8BlockScaled)
}

/// A weight matrix in PyTorch's Linear layout: `rows` outputs × `cols` inputs, row-major.
public struct WeightMatrix: Sendable {
    public let rows: Int
    public let cols: Int
    public let storage: WeightStorage

    public init(rows: Int, cols: Int, storage: WeightStorage) {
        switch storage {
        case let .f32(values): precondition(values.count == rows * cols, "f32 storage holds \(values.count) values, not \(rows)×\(cols)")
        case let .bf16(values): precondition(values.count == rows * cols, "bf16 storage holds \(values.count) values, not \(rows)×\(cols)")
        case let .fp8(blocks):
            precondition(blocks.codes.count == rows * cols, "fp8 storage holds \(blocks.codes.count) codes, not \(rows)×\(cols)")
            precondition((0..<FP8BlockScaled.blockSize).contains(blocks.rowPhase), "fp8 row phase \(blocks.rowPhase) outside a block")
            let shape = FP8BlockScaled.scaleShape(rows: rows, cols: cols, rowPhase: blocks.rowPhase)
            precondition(blocks.scaleInv.count == shape.rows * shape.cols, "fp8 storage holds \(blocks.scaleInv.count) scales, not \(shape.rows)×\(shape.cols)")
        }
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    public init(rows: Int, cols: Int, values: [Float]) {
        self.init(rows: rows, cols: cols, storage: .f32(WeightBuffer(values)))
    }

    /// Bytes this matrix reads per product: owned memory, or pages of a mapped checkpoint (shared
    /// with every process that maps the same file).
    public var residentBytes: Int {
        switch storage {
        case let .f32(v): v.count * 4
        case let .bf16(v): v.count * 2
        case let .fp8(blocks): blocks.byteCount
        }
    }

    /// The values as float32 (a copy; widened when stored in 16 or 8 bits).
    public var floats: [Float] {
        switch storage {
        case let .f32(v): v.array
        case let .bf16(v): v.withUnsafeBufferPointer { $0.map(BFloat16.float) }
        case let .fp8(blocks):
            [Float](unsafeUninitializedCapacity: rows * cols) { out, count in
                if rows > 0, cols > 0 { blocks.widen(cols: cols, rows: 0, rows, into: out.baseAddress!) }
                count = rows * cols
            }
        }
    }
}

/// The three projections of one SiLU-gated expert: down(silu(gate·x) ⊙ up·x).
public struct ExpertWeights: Sendable {
    /// [moe_intermediate_size, hidden_size]
    public let gateProj: WeightMatrix
    /// [moe_intermediate_size, hidden_size]
    public let upProj: WeightMatrix
    /// [hidden_size, moe_intermediate_size]
    public let downProj: WeightMatrix

    public init(gateProj: WeightMatrix, upProj: WeightMatrix, downProj: WeightMatrix) {
        precondition(gateProj.rows == upProj.rows && gateProj.cols == upProj.cols, "gate and up projections differ in shape")
        precondition(downProj.cols == gateProj.rows && downProj.rows == gateProj.cols, "down projection does not match gate")
        self.gateProj = gateProj
        self.upProj = upProj
        self.downProj = downProj
    }

    public var residentBytes: Int { gateProj.residentBytes + upProj.residentBytes + downProj.residentBytes }

    /// One projection, by the name the checkpoint gives it.
    public subscript(projection: TensorNames.Projection) -> WeightMatrix {
        switch projection {
        case .gate: gateProj
        case .up: upProj
        case .down: downProj
        }
    }

    /// An MLP's three projections read from `source`, each named by `name` (a dense layer's, the
    /// shared expert's or one routed expert's names from `TensorNames`).
    static func load(from source: WeightSource, named name: (TensorNames.Projection) -> String,
                     hidden: Int, intermediate: Int) throws -> ExpertWeights {
        ExpertWeights(
            gateProj: try source.matrix(name(.gate), rows: intermediate, cols: hidden),
            upProj: try source.matrix(name(.up), rows: intermediate, cols: hidden),
            downProj: try source.matrix(name(.down), rows: hidden, cols: intermediate))
    }
}
