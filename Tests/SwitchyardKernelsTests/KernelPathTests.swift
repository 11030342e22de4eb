import CKernels
import Testing
@testable import SwitchyardKernels
import SwitchyardCore

/// Every kernel path this machine runs, held against the portable path and a double-precision reference.
@Suite struct KernelPathTests {
    /// Σ w·x and Σ |w·x| in double precision for W [rows × cols], x [tokens × cols], laid out as y [tokens × rows].
    func reference(_ w: [Float], rows: Int, cols: Int, _ x: [Float], tokens: Int) -> (y: [Double], magnitude: [Double]) {
        var y = [Double](repeating: 0, count: tokens * rows), m = y
        for t in 0..<tokens {
            for r in 0..<rows {
                var s = 0.0, a = 0.0
                for c in 0..<cols {
                    let p = Double(w[r * cols + c]) * Double(x[t * cols + c])
                    s += p
                    a += abs(p)
                }
                y[t * rows + r] = s
                m[t * rows + r] = a
            }
        }
        return (y, m)
    }

    static func bf16Bits(_ v: Float) -> UInt16 {
        let x = v.bitPattern
        return UInt16(truncatingIfNeeded: (x &+ 0x7FFF &+ ((x >> 16) & 1)) >> 16)
    }

    static func widened(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    // Odd widths and tails of every SIMD width (8, 16, 32), a width of 1, and a shape big enough
    // to be split across cores.
    static let shapes: [(rows: Int, cols: Int)] = [(7, 13), (5, 31), (9, 33), (4, 1), (3, 47), (130, 1000), (66, 2049)]
    /// Past 8 tokens the rows run in tiles of SY_STREAM_TILE_BYTES: at 20,000 columns 26 rows of f32
    /// and 52 of bf16 a tile, so these cross tile boundaries (only run with more than 8 tokens).
    static let tiledShapes: [(rows: Int, cols: Int)] = [(60, 20000)]
    static func shapes(tokens: Int) -> [(rows: Int, cols: Int)] { tokens > Int(SY_STREAM_PASS_TOKENS) ? shapes + tiledShapes : shapes }

    struct Case {
        var w: [Float], bits: [UInt16], x: [Float], rows: Int, cols: Int, tokens: Int
    }

    func make(tokens: Int, shape: (rows: Int, cols: Int)) -> Case {
        var rng = SplitMix64(seed: UInt64(tokens * 7919 + shape.rows * 31 + shape.cols))
        let w = (0..<(shape.rows * shape.cols)).map { _ in rng.nextFloat() - 0.5 }
        let x = (0..<(tokens * shape.cols)).map { _ in rng.nextFloat() - 0.5 }
        return Case(w: w, bits: w.map(Self.bf16Bits), x: x, rows: shape.rows, cols: shape.cols, tokens: tokens)
    }

    /// Through `Linear` (rows split across cores) up to its streaming limit; beyond it, Linear uses
    /// sgemm, so the streaming kernels are called directly (they take any number of tokens).
    func run(_ c: Case, path: KernelPath) -> (f32: [Float], bf16: [Float]) {
        var y32 = [Float](repeating: .nan, count: c.tokens * c.rows), y16 = y32
        if c.tokens <= Linear.streamingTokenLimit {
            Linear.f32(c.w, rows: c.rows, cols: c.cols, x: c.x, tokens: c.tokens, y: &y32, path: path)
            Linear.bf16(c.bits, rows: c.rows, cols: c.cols, x: c.x, tokens: c.tokens, y: &y16, path: path)
        } else {
            sy_stream_f32_on(path.code, c.w, c.cols, c.x, c.cols, c.tokens, &y32, c.rows, 0, c.rows)
            sy_stream_bf16_on(path.code, c.bits, c.cols, c.x, c.cols, c.tokens, &y16, c.rows, 0, c.rows)
        }
        return (y32, y16)
    }

    /// Float32 accumulation of values in [-0.5, 0.5): a few ulps of √cols, far below any wrong term.
    func tolerance(cols: Int) -> Double { 1e-5 * Double(cols).squareRoot() }

    @Test(arguments: KernelPath.supported, Array(1...9) + [17])
    func everyPathMatchesTheReferenceAndThePortablePath(path: KernelPath, tokens: Int) {
        for shape in Self.shapes(tokens: tokens) {
            let c = make(tokens: tokens, shape: shape)
            let got = run(c, path: path), portable = run(c, path: .portable)
            let want32 = reference(c.w, rows: c.rows, cols: c.cols, c.x, tokens: tokens)
            let rounded = c.bits.map(Self.widened)
            let want16 = reference(rounded, rows: c.rows, cols: c.cols, c.x, tokens: tokens)
            let tol = tolerance(cols: c.cols)
            #expect(zip(got.f32, want32.y).allSatisfy { abs(Double($0) - $1) < tol }, "f32 \(path) \(shape)")
            #expect(zip(got.f32, portable.f32).allSatisfy { abs($0 - $1) < Float(2 * tol) }, "f32 \(path) vs portable \(shape)")
            #expect(zip(portable.bf16, want16.y).allSatisfy { abs(Double($0) - $1) < tol }, "bf16 portable \(shape)")
            if path == .avx512bf16 {
                // vdpbf16ps: activations rounded to bf16 (relative error ≤ 2⁻⁹ each), products exact,
                // sums in float32. Against float32 activations: |Δ| ≤ 2⁻⁸·Σ|w·x| (2⁻⁹ and float32 slack).
                let xb = c.x.map { Self.widened(Self.bf16Bits($0)) }
                let wantRounded = reference(rounded, rows: c.rows, cols: c.cols, xb, tokens: tokens)
                #expect(zip(got.bf16, wantRounded.y).allSatisfy { abs(Double($0) - $1) < tol }, "bf16 \(path) \(shape)")
                for i in got.bf16.indices {
                    let bound = wantRounded.magnitude[i] / 256 + tol
                    #expect(abs(Double(got.bf16[i]) - want16.y[i]) < bound, "bf16 \(path) vs float32 activations \(shape)")
                    #expect(abs(Double(got.bf16[i] - portable.bf16[i])) < bound + tol, "bf16 \(path) vs portable \(shape)")
                }
            } else {
                #expect(zip(got.bf16, want16.y).allSatisfy { abs(Double($0) - $1) < tol }, "bf16 \(path) \(shape)")
                #expect(zip(got.bf16, portable.bf16).allSatisfy { abs($0 - $1) < Float(2 * tol) }, "bf16 \(path) vs portable \(shape)")
            }
        }
    }

    /// FP8 E4M3 codes with 128×128 block scales, the matrix starting `phase` rows into its first block.
    struct FP8Case {
        var codes: [UInt8], scales: [Float], phase: Int, x: [Float], rows: Int, cols: Int, tokens: Int
        /// The dequantised weights, each e4m3 value times its block's scale (exact in double).
        var weights: [Float] {
            let sc = (cols + 127) / 128
            return (0..<(rows * cols)).map { i in
                FloatFormats.float(e4m3: codes[i]) * scales[((i / cols + phase) / 128) * sc + (i % cols) / 128]
            }
        }
    }

    // Shapes crossing 128-row and 128-column blocks, with tails of every SIMD width, at several phases.
    static let fp8Shapes: [(rows: Int, cols: Int, phase: Int)] = [
        (7, 13, 0), (5, 31, 3), (9, 33, 127), (130, 1000, 0), (66, 2049, 100), (300, 257, 64), (129, 128, 1),
    ]
    /// Past 8 tokens, tiles of whole 128-row scale blocks (SY_STREAM_TILE_BYTES holds fewer rows of
    /// 20,000 columns than a block): with row 0 50 rows into its block, tiles end at rows 78 and 206.
    static let fp8TiledShapes: [(rows: Int, cols: Int, phase: Int)] = [(230, 20000, 50)]

    func makeFP8(tokens: Int, shape: (rows: Int, cols: Int, phase: Int)) -> FP8Case {
        var rng = SplitMix64(seed: UInt64(tokens * 131 + shape.rows * 17 + shape.cols + shape.phase))
        let blockRows = (shape.phase + shape.rows + 127) / 128, sc = (shape.cols + 127) / 128
        // Every code but the two NaNs, which quantizers never write.
        let codes = (0..<(shape.rows * shape.cols)).map { _ in
            let c = UInt8(truncatingIfNeeded: rng.next())
            return c & 0x7F == 0x7F ? c ^ 0x01 : c
        }
        let scales = (0..<(blockRows * sc)).map { _ in (0.5 + rng.nextFloat()) / 448 }
        let x = (0..<(tokens * shape.cols)).map { _ in rng.nextFloat() - 0.5 }
        return FP8Case(codes: codes, scales: scales, phase: shape.phase, x: x, rows: shape.rows, cols: shape.cols, tokens: tokens)
    }

    func runFP8(_ c: FP8Case, path: KernelPath) -> [Float] {
        var y = [Float](repeating: .nan, count: c.tokens * c.rows)
        if c.tokens <= Linear.streamingTokenLimit {
            Linear.fp8(c.codes, rows: c.rows, cols: c.cols, scaleInv: c.scales, rowPhase: c.phase, x: c.x, tokens: c.tokens, y: &y, path: path)
        } else {
            sy_stream_fp8_on(path.code, c.codes, c.cols, c.scales, c.phase, c.x, c.cols, c.tokens, &y, c.rows, 0, c.rows)
        }
        return y
    }

    @Test(arguments: KernelPath.supported, Array(1...9) + [17])
    func everyPathMatchesTheReferenceAndThePortablePathOnFP8(path: KernelPath, tokens: Int) {
        for shape in Self.fp8Shapes + (tokens > Int(SY_STREAM_PASS_TOKENS) ? Self.fp8TiledShapes : []) {
            let c = makeFP8(tokens: tokens, shape: shape)
            let got = runFP8(c, path: path), portable = runFP8(c, path: .portable)
            let want = reference(c.weights, rows: c.rows, cols: c.cols, c.x, tokens: tokens)
            let tol = tolerance(cols: c.cols)
            #expect(zip(portable, want.y).allSatisfy { abs(Double($0) - $1) < tol }, "fp8 portable \(shape)")
            if Self.fp8RoundsActivations(path) {
                // vdpbf16ps: each activation times its block's scale and 256 rounded to bf16, times the
                // code / 256 exactly; against float32 activations |Δ| ≤ 2⁻⁸·Σ|w·x| as for bf16 weights.
                let wantRounded = referenceFP8RoundingActivations(c)
                #expect(zip(got, wantRounded).allSatisfy { abs(Double($0) - $1) < tol }, "fp8 \(path) \(shape)")
                for i in got.indices {
                    let bound = want.magnitude[i] / 256 + tol
                    #expect(abs(Double(got[i]) - want.y[i]) < bound, "fp8 \(path) vs float32 activations \(shape)")
                    #expect(abs(Double(got[i] - portable[i])) < bound + tol, "fp8 \(path) vs portable \(shape)")
                }
            } else {
                #expect(zip(got, want.y).allSatisfy { abs(Double($0) - $1) < tol }, "fp8 \(path) \(shape)")
                #expect(zip(got, portable).allSatisfy { abs($0 - $1) < Float(2 * tol) }, "fp8 \(path) vs portable \(shape)")
            }
        }
    }

    static func fp8RoundsActivations(_ path: KernelPath) -> Bool { path.roundsFP8Activations }

    /// What vdpbf16ps computes on fp8 weights, in double: Σ (code / 256) · bf16(x · (scale · 256)).
    func referenceFP8RoundingActivations(_ c: FP8Case) -> [Double] {
        let sc = (c.cols + 127) / 128
        var y = [Double](repeating: 0, count: c.tokens * c.rows)
        for t in 0..<c.tokens {
            for r in 0..<c.rows {
                let first = ((r + c.phase) / 128) * sc
                var sum = 0.0
                for col in 0..<c.cols {
                    let f = c.scales[first + col / 128] * 256
                    let xr = Self.widened(Self.bf16Bits(c.x[t * c.cols + col] * f))
                    sum += Double(FloatFormats.float(e4m3: c.codes[r * c.cols + col])) / 256 * Double(xr)
                }
                y[t * c.rows + r] = sum
            }
        }
        return y
    }

    /// On avx512bf16 a token's fp8 result does not depend on how many tokens share the product: every
    /// lane adds the same products in the same order at 1-8 tokens.
    @Test(.enabled(if: KernelPath.avx512bf16.roundsFP8Activations))
    func theFP8DotProductGivesATokenTheSameBitsAtAnyCount() {
        for shape in Self.fp8Shapes {
            let all = makeFP8(tokens: 9, shape: shape)
            let together = runFP8(all, path: .avx512bf16)
            for tokens in 1...8 {
                var c = all
                c.tokens = tokens
                c.x = Array(all.x[0..<(tokens * all.cols)])
                let part = runFP8(c, path: .avx512bf16)
                #expect(part.map(\.bitPattern) == Array(together[0..<(tokens * all.rows)]).map(\.bitPattern), "\(tokens) tokens \(shape)")
            }
        }
    }

    /// Every code at every lane of a 64-wide row: one weight a row, the others zero, scale 1.
    @Test(arguments: KernelPath.supported)
    func everyPathWidensEveryFP8Code(path: KernelPath) {
        let (rows, cols) = (256, 64)
        var codes = [UInt8](repeating: 0, count: rows * cols)
        for r in 0..<rows { codes[r * cols + r % cols] = UInt8(r) }
        let c = FP8Case(codes: codes, scales: [1, 1], phase: 0, x: [Float](repeating: 1, count: cols), rows: rows, cols: cols, tokens: 1)
        let y = runFP8(c, path: path)
        for code in 0..<256 {
            // The NaN codes read as ±480 in the kernels (documented in ckernels.h).
            let want: Float = code & 0x7F == 0x7F ? (code & 0x80 == 0 ? 480 : -480) : FloatFormats.float(e4m3: UInt8(code))
            #expect(y[code] == want, "code \(code) on \(path)")
        }
    }

    /// With VBMI, AVX-512 looks fp8 codes up (1-4 tokens) instead of widening them through IEEE half:
    /// the same floats in the same lanes, so the same bits, which keeps a token's result independent
    /// of how many tokens share the product; and the widening, which this CPU then runs only from 5
    /// tokens, still matches the portable path at every count.
    @Test(.enabled(if: sy_fp8_lookup_supported() != 0), arguments: Array(1...9))
    func theFP8LookupGivesTheWideningsBits(tokens: Int) {
        var cases = Self.fp8Shapes.map { makeFP8(tokens: tokens, shape: $0) }
        var every = [UInt8](repeating: 0, count: 256 * 64)
        for r in 0..<256 { every[r * 64 + r % 64] = UInt8(r) }
        var rng = SplitMix64(seed: UInt64(tokens))
        cases.append(FP8Case(codes: every, scales: [1, 1], phase: 0, x: (0..<(tokens * 64)).map { _ in rng.nextFloat() - 0.5 },
                             rows: 256, cols: 64, tokens: tokens))
        for c in cases {
            func product(lookup: Int32) -> [Float] {
                var y = [Float](repeating: .nan, count: c.tokens * c.rows)
                sy_stream_fp8_avx512_lookup(lookup, c.codes, c.cols, c.scales, c.phase, c.x, c.cols, c.tokens, &y, c.rows, 0, c.rows)
                return y
            }
            let looked = product(lookup: 1), widened = product(lookup: 0), portable = runFP8(c, path: .portable)
            let differing = zip(looked, widened).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(differing) of \(looked.count) differ: \(c.rows)x\(c.cols) phase \(c.phase)")
            let tol = Float(2 * tolerance(cols: c.cols))
            #expect(zip(widened, portable).allSatisfy { abs($0 - $1) < tol }, "widening vs portable \(c.rows)x\(c.cols)")
        }
    }

    /// Prefill's widening is exact (value × scale, one rounding) whatever the CPU's path.
    @Test func fp8WideningIsExact() {
        for shape in Self.fp8Shapes {
            let c = makeFP8(tokens: 1, shape: shape)
            let want = c.weights
            var got = [Float](repeating: .nan, count: c.rows * c.cols)
            Linear.widenFP8(c.codes, cols: c.cols, scaleInv: c.scales, rowPhase: c.phase, rows: 0..<c.rows, into: &got)
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(shape)")
            let from = c.rows / 2
            var part = [Float](repeating: .nan, count: (c.rows - from) * c.cols)
            Linear.widenFP8(c.codes, cols: c.cols, scaleInv: c.scales, rowPhase: c.phase, rows: from..<c.rows, into: &part)
            #expect(part.map(\.bitPattern) == Array(want[(from * c.cols)...]).map(\.bitPattern), "\(shape) from row \(from)")
        }
    }

    /// A forced path really runs: avx512bf16's results carry the activations' bf16 rounding.
    @Test(.enabled(if: KernelPath.avx512bf16.isSupported))
    func theBF16DotProductPathRoundsActivations() {
        let c = make(tokens: 2, shape: (rows: 64, cols: 4096))
        let got = run(c, path: .avx512bf16).bf16, exact = run(c, path: .avx512).bf16
        let worst = zip(got, exact).map { abs($0 - $1) }.max() ?? 0
        #expect(worst > 1e-4, "avx512bf16 gave float32-activation results: was another path run?")
        if Self.fp8RoundsActivations(.avx512bf16) {
            let f = makeFP8(tokens: 2, shape: (rows: 64, cols: 4096, phase: 0))
            let worstFP8 = zip(runFP8(f, path: .avx512bf16), runFP8(f, path: .avx512)).map { abs($0 - $1) }.max() ?? 0
            #expect(worstFP8 > 1e-4, "avx512bf16 gave float32-activation results on fp8: was another path run?")
        }
    }

    @Test func requestsAreCheckedAgainstTheCPU() throws {
        let cpu: [KernelPath] = [.portable, .avx2]
        #expect(try KernelPath.requested(by: nil, supported: cpu, best: .avx2) == .avx2)
        #expect(try KernelPath.requested(by: " ", supported: cpu, best: .avx2) == .avx2)
        #expect(try KernelPath.requested(by: "Portable", supported: cpu, best: .avx2) == .portable)
        #expect(throws: KernelPathError.unsupported(.avx512bf16, supported: cpu)) {
            try KernelPath.requested(by: "avx512bf16", supported: cpu, best: .avx2)
        }
        #expect(throws: KernelPathError.unknown("sse9", supported: cpu)) {
            try KernelPath.requested(by: "sse9", supported: cpu, best: .avx2)
        }
        let message = KernelPathError.unsupported(.avx512, supported: cpu).description
        #expect(message == "SWITCHYARD_KERNELS=avx512: this CPU cannot run that path; it runs portable, avx2")
    }

    @Test func theCPUsPathsAreConsistent() {
        #expect(KernelPath.supported.first == .portable)
        #expect(KernelPath.best.isSupported && KernelPath.best != .avx512bf16)
        #expect(KernelPath(rawValue: Linear.isa)?.isSupported == true)
    }
}
