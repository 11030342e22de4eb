import SwitchyardCore
import SwitchyardKernels

/// FP8 E4M3 weights with one float32 scale per 128×128 block, as DeepSeek-V3 and Mistral's FP8
/// releases store them (`weight` F8_E4M3 and `weight_scale_inv` F32): value = e4m3(code) × scale.
public struct FP8BlockScaled: Sendable, Equatable {
    public static let blockSize = Linear.fp8BlockSize

    /// rows × cols codes, row-major: one byte a weight.
    public let codes: WeightBuffer<UInt8>
    /// [block rows, ⌈cols/128⌉] scales, from the block row holding row 0.
    public let scaleInv: [Float]
    /// Row 0's place in its block row: non-zero for an expert sliced out of a fused tensor mid-block.
    public let rowPhase: Int

    public init(codes: WeightBuffer<UInt8>, scaleInv: [Float], rowPhase: Int = 0) {
        self.codes = codes
        self.scaleInv = scaleInv
        self.rowPhase = rowPhase
    }

    /// Block rows and columns of scales a rows × cols matrix starting at `rowPhase` needs.
    public static func scaleShape(rows: Int, cols: Int, rowPhase: Int = 0) -> (rows: Int, cols: Int) {
        let b = blockSize
        return (rows == 0 ? 0 : (rowPhase + rows + b - 1) / b, (cols + b - 1) / b)
    }

    /// Quantises `values` [rows × cols] block by block: scale = the block's largest magnitude / 448
    /// (1 for an all-zero block), code = e4m3(value / scale), as DeepSeek-V3's weights were made.
    public static func quantizing(_ values: [Float], rows: Int, cols: Int) -> FP8BlockScaled {
        precondition(values.count == rows * cols, "\(values.count) values are not \(rows)×\(cols)")
        let b = blockSize, shape = scaleShape(rows: rows, cols: cols)
        var scales = [Float](repeating: 1, count: shape.rows * shape.cols)
        var codes = [UInt8](repeating: 0, count: values.count)
        for br in 0..<shape.rows {
            for bc in 0..<shape.cols {
                let rowRange = br * b..<min(rows, (br + 1) * b), colRange = bc * b..<min(cols, (bc + 1) * b)
                var largest: Float = 0
                for r in rowRange { for c in colRange { largest = max(largest, abs(values[r * cols + c])) } }
                let scale = largest > 0 ? largest / 448 : 1
                scales[br * shape.cols + bc] = scale
                for r in rowRange { for c in colRange { codes[r * cols + c] = FloatFormats.e4m3(values[r * cols + c] / scale) } }
            }
        }
        return FP8BlockScaled(codes: WeightBuffer(codes), scaleInv: scales)
    }

    /// Rows `range` of a matrix `cols` wide, as a matrix of their own (codes copied).
    public func rows(_ range: Range<Int>, cols: Int) -> FP8BlockScaled {
        let b = Self.blockSize, scaleCols = Self.scaleShape(rows: 1, cols: cols).cols
        let first = (rowPhase + range.lowerBound) / b
        let shape = Self.scaleShape(rows: range.count, cols: cols, rowPhase: (rowPhase + range.lowerBound) % b)
        return FP8BlockScaled(codes: WeightBuffer(codes.elements(range.lowerBound * cols..<range.upperBound * cols)),
                              scaleInv: Array(scaleInv[first * scaleCols..<(first + shape.rows) * scaleCols]),
                              rowPhase: (rowPhase + range.lowerBound) % b)
    }

    /// Rows [r0, r1) of a matrix `cols` wide as float32, into `destination` [(r1 − r0) × cols].
    func widen(cols: Int, rows r0: Int, _ r1: Int, into destination: UnsafeMutablePointer<Float>) {
        codes.withUnsafeBufferPointer { c in
            scaleInv.withUnsafeBufferPointer { s in
                guard let codes = c.baseAddress, let scales = s.baseAddress else { return }
                Linear.widenFP8(codes, cols: cols, scaleInv: scales, rowPhase: rowPhase, rows: r0..<r1, into: destination)
            }
        }
    }

    /// Bytes read per product: the codes and the scales.
    public var byteCount: Int { codes.count + scaleInv.count * 4 }
}
