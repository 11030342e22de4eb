import SwitchyardKernels
import SwitchyardModel

/// Weights made on the spot from a hash of each tensor's name, for tests that need a model but
/// no checkpoint. Values are uniform with a standard deviation of about 1/sqrt(fan-in).
struct RandomWeights: WeightSource {
    let seed: UInt64
    var fingerprint: String { "test-random:\(seed)" }

    func values(_ name: String, count: Int, scale: Float, offset: Float = 0) -> [Float] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var rng = SplitMix64(seed: hash)
        return (0..<count).map { _ in offset + scale * (rng.nextFloat() * 2 - 1) }
    }

    func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        WeightMatrix(rows: rows, cols: cols, values: values(name, count: rows * cols, scale: (3 / Float(cols)).squareRoot()))
    }

    func vector(_ name: String, count: Int) throws -> [Float] {
        values(name, count: count, scale: 0.1, offset: 1)
    }

    func expert(layer: Int, expert: Int) throws -> ExpertWeights {
        let p = "model.layers.\(layer).mlp.experts.\(expert)."
        let gate = try matrix(p + "gate_proj.weight", rows: 32, cols: 64)
        return ExpertWeights(gateProj: gate, upProj: try matrix(p + "up_proj.weight", rows: gate.rows, cols: gate.cols),
                             downProj: try matrix(p + "down_proj.weight", rows: gate.cols, cols: gate.rows))
    }
}
