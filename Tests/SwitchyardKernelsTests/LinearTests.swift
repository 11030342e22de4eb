import Synchronization
import Testing
@testable import SwitchyardKernels
import SwitchyardCore

@Suite struct LinearTests {
    /// x · Wᵀ in double precision, for W [rows × cols] and x [tokens × cols].
    func reference(_ w: [Float], rows: Int, cols: Int, _ x: [Float], tokens: Int) -> [Double] {
        var y = [Double](repeating: 0, count: tokens * rows)
        for t in 0..<tokens {
            for r in 0..<rows {
                var s = 0.0
                for c in 0..<cols { s += Double(w[r * cols + c]) * Double(x[t * cols + c]) }
                y[t * rows + r] = s
            }
        }
        return y
    }

    // Token counts on both sides of the streaming limit; widths with SIMD tails; enough rows to split across cores.
    @Test(arguments: [1, 3, 4, 5, 8, 9, 16, 17, 33], [(rows: 300, cols: 1000), (rows: 7, cols: 13), (rows: 130, cols: 2048)])
    func f32AndBF16MatchADoubleReference(tokens: Int, shape: (rows: Int, cols: Int)) {
        var rng = SplitMix64(seed: UInt64(tokens * 1000 + shape.cols))
        let w = (0..<(shape.rows * shape.cols)).map { _ in rng.nextFloat() - 0.5 }
        let x = (0..<(tokens * shape.cols)).map { _ in rng.nextFloat() - 0.5 }
        // bf16 weights: the reference uses the rounded values, so both kernels must agree tightly.
        let bits = w.map { bf16Bits($0) }
        let rounded = bits.map { Float(bitPattern: UInt32($0) << 16) }
        var y32 = [Float](repeating: .nan, count: tokens * shape.rows)
        var y16 = y32
        Linear.f32(w, rows: shape.rows, cols: shape.cols, x: x, tokens: tokens, y: &y32)
        Linear.bf16(bits, rows: shape.rows, cols: shape.cols, x: x, tokens: tokens, y: &y16)
        let want32 = reference(w, rows: shape.rows, cols: shape.cols, x, tokens: tokens)
        let want16 = reference(rounded, rows: shape.rows, cols: shape.cols, x, tokens: tokens)
        let tolerance = 1e-5 * Double(shape.cols).squareRoot()
        #expect(zip(y32, want32).allSatisfy { abs(Double($0) - $1) < tolerance })
        #expect(zip(y16, want16).allSatisfy { abs(Double($0) - $1) < tolerance })
    }

    /// FP8 through Linear on both sides of the streaming limit (prefill widens tiles into sgemm),
    /// rows crossing block rows at a non-zero phase, against a double reference of the dequantised weights.
    @Test(arguments: [1, 4, 8, 9, 33], [(rows: 300, cols: 1000, phase: 5), (rows: 7, cols: 13, phase: 0), (rows: 130, cols: 2048, phase: 127)])
    func fp8MatchesADoubleReference(tokens: Int, shape: (rows: Int, cols: Int, phase: Int)) {
        var rng = SplitMix64(seed: UInt64(tokens * 1000 + shape.cols + shape.phase))
        let sc = (shape.cols + 127) / 128, blockRows = (shape.phase + shape.rows + 127) / 128
        let codes = (0..<(shape.rows * shape.cols)).map { _ in UInt8(truncatingIfNeeded: rng.next()) & 0xF7 } // no NaN codes
        let scales = (0..<(blockRows * sc)).map { _ in (0.5 + rng.nextFloat()) / 448 }
        let x = (0..<(tokens * shape.cols)).map { _ in rng.nextFloat() - 0.5 }
        let w = (0..<(shape.rows * shape.cols)).map { i in
            FloatFormats.float(e4m3: codes[i]) * scales[((i / shape.cols + shape.phase) / 128) * sc + (i % shape.cols) / 128]
        }
        var y = [Float](repeating: .nan, count: tokens * shape.rows)
        Linear.fp8(codes, rows: shape.rows, cols: shape.cols, scaleInv: scales, rowPhase: shape.phase, x: x, tokens: tokens, y: &y)
        let want = reference(w, rows: shape.rows, cols: shape.cols, x, tokens: tokens)
        let tolerance = 1e-5 * Double(shape.cols).squareRoot()
        #expect(zip(y, want).allSatisfy { abs(Double($0) - $1) < tolerance })
    }

    /// Past the streaming limit, sgemm on every path but an AVX-512 one, which streams up to its own
    /// limits (float32, and 16- and 8-bit weights), and past them too over OpenBLAS's 256-bit kernels;
    /// either way each path's products of 24 and 40 tokens match the reference.
    @Test(arguments: KernelPath.supported)
    func manyTokensStreamOnlyWhereOpenBLASIsNarrowerAndMatchTheReference(path: KernelPath) {
        let narrowerBLAS = path.isAVX512 && !BLAS.hasAVX512Kernels
        for narrow in [false, true] {
            #expect(Linear.streams(tokens: Linear.streamingTokenLimit, path: path, narrowWeights: narrow))
            let limit = narrow ? Linear.narrowStreamingTokenLimit : Linear.f32StreamingTokenLimit
            #expect(Linear.streams(tokens: Linear.streamingTokenLimit + 1, path: path, narrowWeights: narrow) == path.isAVX512)
            #expect(Linear.streams(tokens: limit, path: path, narrowWeights: narrow) == path.isAVX512)
            #expect(Linear.streams(tokens: limit + 1, path: path, narrowWeights: narrow) == narrowerBLAS)
        }
        let rows = 300, cols = 1000, phase = 5
        var rng = SplitMix64(seed: 40)
        let (w, bits, codes, scales, dequantised) = randomWeights(rows: rows, cols: cols, phase: phase, &rng)
        for tokens in [24, 40] {
            let x = (0..<(tokens * cols)).map { _ in rng.nextFloat() - 0.5 }
            var y32 = [Float](repeating: .nan, count: tokens * rows), y16 = y32, y8 = y32
            Linear.f32(w, rows: rows, cols: cols, x: x, tokens: tokens, y: &y32, path: path)
            Linear.bf16(bits, rows: rows, cols: cols, x: x, tokens: tokens, y: &y16, path: path)
            Linear.fp8(codes, rows: rows, cols: cols, scaleInv: scales, rowPhase: phase, x: x, tokens: tokens, y: &y8, path: path)
            // vdpbf16ps rounds the activations to bf16: its bf16 (and, with VBMI, fp8) products are held
            // to that (2⁻⁸ of the row's size).
            let tolerance = 1e-5 * Double(cols).squareRoot(), bf16Tolerance = path == .avx512bf16 ? 2e-3 * Double(cols).squareRoot() : tolerance
            let fp8Tolerance = path.roundsFP8Activations ? bf16Tolerance : tolerance
            #expect(zip(y32, reference(w, rows: rows, cols: cols, x, tokens: tokens)).allSatisfy { abs(Double($0) - $1) < tolerance }, "f32 \(path)")
            #expect(zip(y16, reference(bits.map { Float(bitPattern: UInt32($0) << 16) }, rows: rows, cols: cols, x, tokens: tokens))
                .allSatisfy { abs(Double($0) - $1) < bf16Tolerance }, "bf16 \(path)")
            #expect(zip(y8, reference(dequantised, rows: rows, cols: cols, x, tokens: tokens)).allSatisfy { abs(Double($0) - $1) < fp8Tolerance }, "fp8 \(path)")
        }
    }

    /// Up to the streaming limit a token's outputs do not depend on the other tokens of the product:
    /// 16 tokens at once give, bit for bit, what 8 + 8, or each token alone, give (f32, bf16, fp8);
    /// 2100 columns, so that from 5 tokens the AVX-512 kernels go over them in chunks.
    /// Rows enough that more than 8 tokens run in tiles of rows (SY_STREAM_TILE_BYTES: 249 rows of
    /// f32, 499 of bf16, 896 of fp8 at these widths), fp8 also with row 0 inside a scale block.
    @Test func aTokensResultDoesNotDependOnItsCompanionsUpToTheStreamingLimit() {
        let rows = 1000, cols = 2100, tokens = Linear.streamingTokenLimit, phase = 37
        var rng = SplitMix64(seed: 5)
        let w = (0..<(rows * cols)).map { _ in rng.nextFloat() - 0.5 }
        let x = (0..<(tokens * cols)).map { _ in rng.nextFloat() - 0.5 }
        let bits = w.map { bf16Bits($0) }
        let codes = (0..<(rows * cols)).map { _ in UInt8(truncatingIfNeeded: rng.next()) & 0xF7 }
        let scales = (0..<(((rows + phase + 127) / 128) * ((cols + 127) / 128))).map { _ in (0.5 + rng.nextFloat()) / 448 }
        func product(_ first: Int, _ count: Int) -> [[Float]] {
            let xs = Array(x[(first * cols)..<((first + count) * cols)])
            var y32 = [Float](repeating: .nan, count: count * rows), y16 = y32, y8 = y32, y8Phase = y32
            Linear.f32(w, rows: rows, cols: cols, x: xs, tokens: count, y: &y32)
            Linear.bf16(bits, rows: rows, cols: cols, x: xs, tokens: count, y: &y16)
            Linear.fp8(codes, rows: rows, cols: cols, scaleInv: scales, rowPhase: 0, x: xs, tokens: count, y: &y8)
            Linear.fp8(codes, rows: rows, cols: cols, scaleInv: scales, rowPhase: phase, x: xs, tokens: count, y: &y8Phase)
            return [y32, y16, y8, y8Phase]
        }
        let whole = product(0, tokens)
        let halves = zip(product(0, tokens / 2), product(tokens / 2, tokens - tokens / 2)).map { $0 + $1 }
        let alone = (0..<tokens).map { product($0, 1) }
        for format in 0..<4 {
            #expect(whole[format] == halves[format], "format \(format): 16 tokens differ from 8 + 8")
            #expect(whole[format] == alone.flatMap { $0[format] }, "format \(format): 16 tokens differ from one at a time")
        }
    }

    /// Past every streaming limit, 16- and 8-bit weights go to sgemm a widened tile of rows at a
    /// time: tiles of 64 rows over 300 (the last one short), fp8 with row 0 inside a scale block so
    /// tiles cross block rows at several phases, against the double reference.
    @Test func weightsWidenedInSeveralTilesMatchTheReference() {
        let rows = 300, cols = 200, tokens = Linear.narrowStreamingTokenLimit + 2, phase = 37
        var rng = SplitMix64(seed: 64)
        let (_, bits, codes, scales, dequantised) = randomWeights(rows: rows, cols: cols, phase: phase, &rng)
        let x = (0..<(tokens * cols)).map { _ in rng.nextFloat() - 0.5 }
        var y16 = [Float](repeating: .nan, count: tokens * rows), y8 = y16
        #expect(!Linear.streams(tokens: tokens, path: .active, narrowWeights: true) || (KernelPath.active.isAVX512 && !BLAS.hasAVX512Kernels))
        Linear.bf16(bits, rows: rows, cols: cols, x: x, tokens: tokens, y: &y16, tileValues: 64 * cols)
        Linear.fp8(codes, rows: rows, cols: cols, scaleInv: scales, rowPhase: phase, x: x, tokens: tokens, y: &y8, tileValues: 64 * cols)
        let tolerance = 1e-5 * Double(cols).squareRoot()
        #expect(zip(y16, reference(bits.map { Float(bitPattern: UInt32($0) << 16) }, rows: rows, cols: cols, x, tokens: tokens))
            .allSatisfy { abs(Double($0) - $1) < tolerance })
        #expect(zip(y8, reference(dequantised, rows: rows, cols: cols, x, tokens: tokens)).allSatisfy { abs(Double($0) - $1) < tolerance })
    }

    /// Random weights of one shape in every storage: float32, its bf16 bits, and FP8 codes (no NaN)
    /// with 128×128 block scales, row 0 at `phase` in its block, and the values they stand for.
    func randomWeights(rows: Int, cols: Int, phase: Int, _ rng: inout SplitMix64)
        -> (w: [Float], bits: [UInt16], codes: [UInt8], scales: [Float], dequantised: [Float]) {
        let w = (0..<(rows * cols)).map { _ in rng.nextFloat() - 0.5 }
        let codes = (0..<(rows * cols)).map { _ in UInt8(truncatingIfNeeded: rng.next()) & 0xF7 }
        let sc = (cols + 127) / 128
        let scales = (0..<(((rows + phase + 127) / 128) * sc)).map { _ in (0.5 + rng.nextFloat()) / 448 }
        let dequantised = (0..<(rows * cols)).map { i in FloatFormats.float(e4m3: codes[i]) * scales[((i / cols + phase) / 128) * sc + (i % cols) / 128] }
        return (w, w.map { bf16Bits($0) }, codes, scales, dequantised)
    }

    func bf16Bits(_ v: Float) -> UInt16 {
        let x = v.bitPattern
        return UInt16(truncatingIfNeeded: (x &+ 0x7FFF &+ ((x >> 16) & 1)) >> 16)
    }

    /// One token a row at a time or in blocks of rows with the next prefetched (`oneTokenByRows`):
    /// the same bits on every AVX-512 path this CPU runs, float32 and bf16, and both near the
    /// reference. 301 rows (not a multiple of 3 or 4) of 1000 columns (a tail in every block).
    @Test func oneTokenByRowsGivesTheBlocksBits() throws {
        let before = Linear.oneTokenByRows
        defer { Linear.oneTokenByRows = before }
        var rng = SplitMix64(seed: 77)
        let rows = 301, cols = 1000
        let weights = randomWeights(rows: rows, cols: cols, phase: 0, &rng)
        let x = (0..<cols).map { _ in rng.nextFloat() - 0.5 }
        let tolerance = 1e-5 * Double(cols).squareRoot()
        let want32 = reference(weights.w, rows: rows, cols: cols, x, tokens: 1)
        let want16 = reference(weights.bits.map { Float(bitPattern: UInt32($0) << 16) }, rows: rows, cols: cols, x, tokens: 1)
        for path in KernelPath.supported where path.isAVX512 {
            var results: [[Float]] = []
            for byRows in [false, true] {
                Linear.oneTokenByRows = byRows
                #expect(Linear.oneTokenByRows == byRows)
                var y32 = [Float](repeating: .nan, count: rows), y16 = y32
                Linear.f32(weights.w, rows: rows, cols: cols, x: x, tokens: 1, y: &y32, path: path)
                Linear.bf16(weights.bits, rows: rows, cols: cols, x: x, tokens: 1, y: &y16, path: path)
                #expect(zip(y32, want32).allSatisfy { abs(Double($0) - $1) < tolerance }, "\(path) by rows \(byRows)")
                // vdpbf16ps rounds the activations to bf16: |Δy| ≤ 2⁻⁸·Σ|wᵢxᵢ|.
                let bound = path == .avx512bf16 ? 0.5 * Double(cols) / 256 : tolerance
                #expect(zip(y16, want16).allSatisfy { abs(Double($0) - $1) < bound }, "\(path) by rows \(byRows)")
                results.append(y32 + y16)
            }
            #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "\(path)")
        }
    }

    /// Big products go in chunks taken from a shared counter: every row exactly once, a whole number
    /// of chunks a thread (at most `chunksPerWorker`), none under `chunkValues` weights once there are
    /// more than one a thread; small products one range a thread.
    @Test(arguments: [(rows: 300, cols: 4096), (rows: 4097, cols: 4096), (rows: 131_072, cols: 4096), (rows: 7, cols: 1 << 20)])
    func rowRangesCoverEveryRowOnce(shape: (rows: Int, cols: Int)) {
        let ranges = Mutex<[Range<Int>]>([])
        Linear.forRowRanges(rows: shape.rows, cols: shape.cols) { r0, r1 in ranges.withLock { $0.append(r0..<r1) } }
        let sorted = ranges.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(sorted.first?.lowerBound == 0 && sorted.last?.upperBound == shape.rows)
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && !$1.isEmpty })
        let workers = shape.rows * shape.cols >= Linear.parallelThreshold ? min(Parallelism.threads, shape.rows) : 1
        #expect(sorted.count % workers == 0 && sorted.count <= max(workers, min(shape.rows, workers * Linear.chunksPerWorker)))
        if sorted.count > workers { #expect(sorted.allSatisfy { $0.count * shape.cols >= Linear.chunkValues / 2 }) }
    }

    @Test func kernelsReportTheirInstructionSet() {
        #expect(KernelPath.supported.map(\.rawValue).contains(Linear.isa))
    }
}

@Suite struct ParallelismTests {
    @Test func processesSharingTheCoresGetTheirShareAndAtLeastOneThread() {
        let cores = Parallelism.machineCores
        #expect(Parallelism.share(among: 1) == cores)
        #expect(Parallelism.share(among: 0) == cores)
        #expect(Parallelism.share(among: 2) == max(1, cores / 2))
        #expect(Parallelism.share(among: 8 * cores) == 1)
        // No test limits this process: its kernels use every core.
        #expect(Parallelism.threads == cores)
    }
}
