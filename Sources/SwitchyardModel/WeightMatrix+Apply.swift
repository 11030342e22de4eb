import SwitchyardKernels
import SwitchyardCore

extension WeightMatrix {
    /// y [tokens × rows] = x [tokens × cols] · Wᵀ, on the process's kernel path unless `path` is given.
    public func apply(_ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, path: KernelPath = .active) {
        switch storage {
        case let .f32(w):
            w.withUnsafeBufferPointer { Linear.f32($0.baseAddress!, rows: rows, cols: cols, x: x, tokens: tokens, y: y, path: path) }
        case let .bf16(w):
            w.withUnsafeBufferPointer { Linear.bf16($0.baseAddress!, rows: rows, cols: cols, x: x, tokens: tokens, y: y, path: path) }
        case let .fp8(blocks):
            blocks.codes.withUnsafeBufferPointer { codes in
                blocks.scaleInv.withUnsafeBufferPointer { scales in
                    Linear.fp8(codes.baseAddress!, rows: rows, cols: cols, scaleInv: scales.baseAddress!, rowPhase: blocks.rowPhase,
                               x: x, tokens: tokens, y: y, path: path)
                }
            }
        }
    }

    public func apply(_ x: [Float], tokens: Int) -> [Float] {
        precondition(x.count == tokens * cols, "input has \(x.count) values, not \(tokens) × \(cols)")
        return [Float](unsafeUninitializedCapacity: tokens * rows) { y, count in
            x.withUnsafeBufferPointer { apply($0.baseAddress!, tokens: tokens, into: y.baseAddress!) }
            count = tokens * rows
        }
    }

    /// Row `index` widened to float32 (an embedding lookup).
    public func row(_ index: Int) -> ArraySlice<Float> {
        switch storage {
        case let .f32(w): ArraySlice(w.elements((index * cols)..<((index + 1) * cols)))
        case let .bf16(w): ArraySlice(w.withUnsafeBufferPointer { $0[(index * cols)..<((index + 1) * cols)].map(BFloat16.float) })
        case let .fp8(blocks):
            ArraySlice([Float](unsafeUninitializedCapacity: cols) { out, count in
                blocks.widen(cols: cols, rows: index, index + 1, into: out.baseAddress!)
                count = cols
            })
        }
    }
}

extension ExpertWeights {
    /// down(silu(gate · x) ⊙ (up · x)) for `tokens` rows of x.
    public func forward(_ x: [Float], tokens: Int) -> [Float] {
        var gate = gateProj.apply(x, tokens: tokens)
        let up = upProj.apply(x, tokens: tokens)
        gate.withUnsafeMutableBufferPointer { g in
            up.withUnsafeBufferPointer { u in Elementwise.siluMultiply(g.baseAddress!, u.baseAddress!, count: g.count) }
        }
        return downProj.apply(gate, tokens: tokens)
    }
}
