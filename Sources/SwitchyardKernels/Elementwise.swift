import Foundation

/// Row-wise and elementwise operations on float32 activations, in place.
public enum Elementwise {
    /// x[r] ← x[r] / sqrt(mean(x[r]²) + eps) · weight, for each row of width `weight.count`.
    public static func rmsNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, weight: UnsafePointer<Float>, width: Int, eps: Float) {
        for r in 0..<rows {
            let row = x + r * width
            var sum: Float = 0
            for i in 0..<width { sum += row[i] * row[i] }
            let scale = 1 / (sum / Float(width) + eps).squareRoot()
            for i in 0..<width { row[i] = row[i] * scale * weight[i] }
        }
    }

    /// gate[i] ← silu(gate[i]) · up[i] over `count` values: the SiLU-gated MLP's middle.
    public static func siluMultiply(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + Foundation.exp(-g)) * up[i]
        }
    }

    /// Softmax of one row of `count` values, in place, computed stably.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, x[i]) }
        var sum: Float = 0
        for i in 0..<count {
            let e = Foundation.exp(x[i] - maximum)
            x[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { x[i] *= inverse }
    }
}
