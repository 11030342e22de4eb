/// Reading weights out of a checkpoint directory: shape checks and dtype conversion.
///
/// F32 is copied out as float32 and F16 widened to float32 (exactly); BF16 and F8_E4M3 are used
/// in place in the mapped file, F8_E4M3 with its `weight_scale_inv` blocks (copied: 1/16384 of the
/// weights' size in float32).
extension CheckpointDirectory {
    /// Side of the square blocks FP8 checkpoints scale by (DeepSeek-V3's convention).
    public static let fp8BlockSize = FP8BlockScaled.blockSize

    public func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        let file = try file(holding: name)
        let info = try file.info(name)
        guard info.shape == [rows, cols] else { throw shapeError(file, info, expected: [rows, cols]) }
        switch info.dtype {
        case .bf16:
            return WeightMatrix(rows: rows, cols: cols, storage: .bf16(try file.bf16(name)))
        case .f8E4M3:
            let scales = try scaleInv(of: name, shape: [], rows: 0..<rows, cols: cols)
            return WeightMatrix(rows: rows, cols: cols, storage: .fp8(FP8BlockScaled(codes: try file.e4m3(name), scaleInv: scales)))
        case .f32:
            return WeightMatrix(rows: rows, cols: cols, storage: .f32(try file.f32(name)))
        default:
            return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name))
        }
    }

    public func vector(_ name: String, count: Int) throws -> [Float] {
        let file = try file(holding: name)
        let info = try file.info(name)
        guard info.shape == [count] else { throw shapeError(file, info, expected: [count]) }
        return try file.floats(name)
    }

    public func expert(layer: Int, expert: Int) throws -> ExpertWeights {
        let c = config
        guard (0..<c.nRoutedExperts).contains(expert) else {
            throw CheckpointError(file: catalogPath, tensor: TensorNames.fusedGateUp(layer), problem: "expert \(expert) asked for, but there are \(c.nRoutedExperts)")
        }
        let (i, h) = (c.moeIntermediateSize, c.hiddenSize)
        if try contains(TensorNames.fusedGateUp(layer)) {
            return ExpertWeights(
                gateProj: try fusedSlice(TensorNames.fusedGateUp(layer), shape: [c.nRoutedExperts, 2 * i, h], expert: expert, part: 0, of: 2),
                upProj: try fusedSlice(TensorNames.fusedGateUp(layer), shape: [c.nRoutedExperts, 2 * i, h], expert: expert, part: 1, of: 2),
                downProj: try fusedSlice(TensorNames.fusedDown(layer), shape: [c.nRoutedExperts, h, i], expert: expert, part: 0, of: 1))
        }
        let gate = TensorNames.expert(layer, expert, .gate)
        guard try contains(gate) else {
            throw CheckpointError(file: catalogPath, tensor: TensorNames.fusedGateUp(layer),
                                  problem: "is not in the checkpoint, and neither is the per-expert '\(gate)'")
        }
        return try ExpertWeights.load(from: self, named: { TensorNames.expert(layer, expert, $0) }, hidden: h, intermediate: i)
    }

    /// Rows `part/of` of expert `expert`'s matrix in a fused [E, rows, cols] tensor, reading only those bytes.
    private func fusedSlice(_ name: String, shape: [Int], expert: Int, part: Int, of parts: Int) throws -> WeightMatrix {
        let file = try file(holding: name)
        let info = try file.info(name)
        guard info.shape == shape else { throw shapeError(file, info, expected: shape) }
        let rows = shape[1] / parts, cols = shape[2]
        let start = expert * shape[1] * cols + part * rows * cols
        let elements = start..<start + rows * cols
        switch info.dtype {
        case .bf16:
            return WeightMatrix(rows: rows, cols: cols, storage: .bf16(try file.bf16(name, elements: elements)))
        case .f8E4M3:
            // The scale grid covers the fused rows: an expert's part may start mid-block.
            let first = part * rows
            let scales = try scaleInv(of: name, shape: [shape[0]], index: expert, rows: first..<first + rows, cols: cols, fusedRows: shape[1])
            return WeightMatrix(rows: rows, cols: cols, storage: .fp8(FP8BlockScaled(
                codes: try file.e4m3(name, elements: elements), scaleInv: scales, rowPhase: first % Self.fp8BlockSize)))
        case .f32:
            return WeightMatrix(rows: rows, cols: cols, storage: .f32(try file.f32(name, elements: elements)))
        default:
            return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name, elements: elements))
        }
    }

    /// The block rows of `weight`'s `weight_scale_inv` that rows `rows` of a `cols`-wide matrix use.
    /// The scale tensor has shape `shape` + [⌈fusedRows/128⌉, ⌈cols/128⌉] (fusedRows: the weight's
    /// rows, all of them); `index` picks one of the leading `shape` entries (a fused tensor's expert).
    private func scaleInv(of weight: String, shape: [Int], index: Int = 0, rows: Range<Int>, cols: Int, fusedRows: Int? = nil) throws -> [Float] {
        let block = Self.fp8BlockSize
        let scaleName = TensorNames.fp8Scale(of: weight)
        let scaleFile = try self.file(holding: scaleName)
        let scaleInfo = try scaleFile.info(scaleName)
        let grid = FP8BlockScaled.scaleShape(rows: fusedRows ?? rows.count, cols: cols)
        guard scaleInfo.shape == shape + [grid.rows, grid.cols] else { throw shapeError(scaleFile, scaleInfo, expected: shape + [grid.rows, grid.cols]) }
        guard scaleInfo.dtype.isWeightType, scaleInfo.dtype != .f8E4M3 else {
            throw CheckpointError(file: scaleFile.path, tensor: scaleName, problem: "dtype \(scaleInfo.dtype.rawValue) is not a scale type (F32, BF16, F16)")
        }
        let firstRow = rows.lowerBound / block, lastRow = (rows.upperBound - 1) / block
        let start = (index * grid.rows + firstRow) * grid.cols
        return try scaleFile.floats(scaleName, elements: start..<start + (lastRow - firstRow + 1) * grid.cols)
    }

    private func shapeError(_ file: SafetensorsFile, _ info: SafetensorsTensorInfo, expected: [Int]) -> CheckpointError {
        CheckpointError(file: file.path, tensor: info.name, problem: "has shape \(info.shape), expected \(expected)")
    }
}
