/// Reading weights out of a checkpoint directory: shape checks and dtype conversion.
///
/// F32 stays float32, BF16 stays 16-bit, F16 widens to float32 (exactly), F8_E4M3 is
/// dequantised with its `weight_scale_inv` blocks into float32.
extension CheckpointDirectory {
    /// Side of the square blocks FP8 checkpoints scale by (DeepSeek-V3's convention).
    public static let fp8BlockSize = 128

    public func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        let file = try file(holding: name)
        let info = try file.info(name)
        guard info.shape == [rows, cols] else { throw shapeError(file, info, expected: [rows, cols]) }
        switch info.dtype {
        case .bf16:
            return WeightMatrix(rows: rows, cols: cols, storage: .bf16(try file.bf16Bits(name)))
        case .f8E4M3:
            return WeightMatrix(rows: rows, cols: cols, values: try dequantizedFP8(name, file: file, rows: rows, cols: cols))
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
            return WeightMatrix(rows: rows, cols: cols, storage: .bf16(try file.bf16Bits(name, elements: elements)))
        case .f8E4M3:
            throw CheckpointError(file: file.path, tensor: name, problem: "F8_E4M3 fused expert tensors are not supported; FP8 checkpoints store experts one tensor each")
        default:
            return WeightMatrix(rows: rows, cols: cols, values: try file.floats(name, elements: elements))
        }
    }

    /// value × scale_inv of its 128×128 block, as DeepSeek-V3's FP8 weights are dequantised.
    private func dequantizedFP8(_ name: String, file: SafetensorsFile, rows: Int, cols: Int) throws -> [Float] {
        let block = Self.fp8BlockSize
        let scaleName = TensorNames.fp8Scale(of: name)
        let scaleFile = try self.file(holding: scaleName)
        let scaleInfo = try scaleFile.info(scaleName)
        let blocksDown = (rows + block - 1) / block, blocksAcross = (cols + block - 1) / block
        guard scaleInfo.shape == [blocksDown, blocksAcross] else { throw shapeError(scaleFile, scaleInfo, expected: [blocksDown, blocksAcross]) }
        let scales = try scaleFile.floats(scaleName)
        var values = try file.floats(name)
        for r in 0..<rows {
            let scaleRow = (r / block) * blocksAcross
            for c in 0..<cols { values[r * cols + c] *= scales[scaleRow + c / block] }
        }
        return values
    }

    private func shapeError(_ file: SafetensorsFile, _ info: SafetensorsTensorInfo, expected: [Int]) -> CheckpointError {
        CheckpointError(file: file.path, tensor: info.name, problem: "has shape \(info.shape), expected \(expected)")
    }
}
