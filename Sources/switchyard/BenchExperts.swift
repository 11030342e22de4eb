import ArgumentParser
import Foundation
import SwitchyardKernels
import SwitchyardModel
import SwitchyardCore
import SwitchyardModelConfig

struct BenchExperts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experts",
        abstract: "Measure the routed-expert computation against this machine's own rates, in one run.",
        // ArgumentParser prints the usage line unwrapped: this one fits 80 columns.
        usage: "switchyard bench experts [<options>]",
        discussion: """
        Uses the mistral-small-4 expert shape (4096 → 2048 → 4096, SiLU-gated) by
        default. Rows for f32, bf16 and fp8 (E4M3 with 128×128 block scales) weights.
          prefill: hundreds of tokens per expert; achieved GFLOP/s ÷ a large
                   OpenBLAS sgemm's (target ≥ 0.8): the median of 3 rounds, each
                   an sgemm and then the expert, its ratio taken against the
                   sgemm just before it.
          decode:  1–16 tokens per expert, weights streamed from memory (more experts
                   than any cache holds); weight bytes read per second (fp8: codes
                   and scales) ÷ the memory read bandwidth (target ≥ 0.6 for bf16,
                   ≥ 0.5 for fp8 at 1–4 tokens). 16 tokens are two passes of 8 over
                   each tile of rows, the weights read from memory once. Each decode
                   row: the median of 3 rounds, each a memory read and then the
                   kernel, its ratio taken against the read just before it.
                   Beside it the arithmetic's ceiling: the same kernel on one
                   core over 32 rows that stay in its L2 cache, times the cores;
                   and what bounds the row: arithmetic where that ceiling is
                   below the memory's rate, else memory.
        On a CPU with AVX512-BF16, bf16 decode also by vdpbf16ps (activations rounded
        to bf16, as SWITCHYARD_KERNELS=avx512bf16 does), and fp8 where it also has
        VBMI (codes looked up as bf16). The kernel path is the CPU's
        best unless SWITCHYARD_KERNELS=portable|avx2|avx512|avx512bf16 forces one.

        Example: switchyard bench experts --json bench-experts.json
        """
    )

    @Option(help: "Hidden size of the expert.") var hidden = 4096
    @Option(help: "Intermediate size of the expert.") var intermediate = 2048
    @Option(help: "Tokens per expert for the prefill shape.") var prefillTokens = 512
    @Option(help: "Experts cycled through at decode, so weights come from memory, not cache.") var decodeExperts = 6
    @Option(help: JSONOption.help) var json: String?

    func validate() throws {
        try FlagBounds.check([("--hidden", hidden, FlagBounds.hidden), ("--intermediate", intermediate, ModelConfig.bounds.moeIntermediateSize),
                              ("--prefill-tokens", prefillTokens, 1...65536), ("--decode-experts", decodeExperts, 1...256)])
        // The experts' weights are allocated up front: keep them to an ordinary benchmark's size.
        try FlagBounds.checkProduct("the experts' float32 weights in bytes (3 × --hidden × --intermediate × --decode-experts × 4)",
                                    [3, hidden, intermediate, decodeExperts, 4], limit: 16 << 30)
    }

    func run() throws {
        let cores = Parallelism.threads
        let probe = MachineBaseline.SgemmProbe(n: 2048)
        let sgemm = probe.gflops(threads: cores)
        let memory = MachineBaseline.memoryReadGBps(bytes: 512 << 20, threads: cores)
        var rows: [[String]] = [
            ["baseline", "sgemm 2048³", "", String(format: "%.1f GFLOP/s", sgemm), "", "", ""],
            ["baseline", "memory read", "", String(format: "%.1f GB/s", memory), "", "", ""],
        ]
        var records: [[String: Any]] = [["measure": "sgemm_2048_gflop_per_s", "value": sgemm], ["measure": "memory_read_gb_per_s", "value": memory]]

        for dtype in WeightDType.allCases.map(\.rawValue) {
            let expert = Self.randomExpert(hidden: hidden, intermediate: intermediate, dtype: dtype, seed: 1)
            let flops = 2.0 * 3 * Double(hidden) * Double(intermediate) * Double(prefillTokens)
            let x = Self.randomActivations(tokens: prefillTokens, hidden: hidden)
            // Each round an sgemm and then the expert: the ratio to the sgemm of its own moment.
            let (seconds, ratio) = MachineBaseline.againstBaseline(work: flops / 1e9, baseline: { probe.gflops(threads: cores, repeats: 2) }) {
                MachineBaseline.bestTime(repeats: 2) { _ = expert.forward(x, tokens: prefillTokens) }
            }
            let gflops = flops / seconds / 1e9
            rows.append(["prefill", "\(prefillTokens) tokens, \(dtype)", String(format: "%.2f ms", seconds * 1e3),
                         String(format: "%.1f GFLOP/s", gflops), String(format: "%.2f of sgemm", ratio), "", ""])
            records.append(["measure": "prefill_\(dtype)_ratio_to_sgemm", "tokens": prefillTokens, "gflop_per_s": gflops, "value": ratio])
        }

        for dtype in WeightDType.allCases.map(\.rawValue) {
            let experts = (0..<decodeExperts).map {
                Self.randomExpert(hidden: hidden, intermediate: intermediate, dtype: dtype, seed: UInt64($0 + 10))
            }
            let bytes = Double(experts[0].residentBytes)
            // The same kernels over rows that stay in one core's L2 cache: their arithmetic's ceiling.
            let cached = Self.randomMatrix(rows: Self.cachedRows(hidden: hidden), cols: hidden, dtype: dtype, seed: 5)
            for tokens in [1, 2, 4, 8, Linear.streamingTokenLimit] {
                let x = Self.randomActivations(tokens: tokens, hidden: hidden)
                var next = 0
                let (seconds, ratio) = MachineBaseline.againstMemoryRead(bytes: bytes, threads: cores) {
                    MachineBaseline.bestTime(repeats: decodeExperts) {
                        _ = experts[next].forward(x, tokens: tokens)
                        next = (next + 1) % experts.count
                    }
                }
                let rate = bytes / seconds / 1e9
                let inCache = Self.inCacheGBps(cached, x: x, tokens: tokens, cores: cores)
                // The memory's rate of the row's own moment: the row's rate over its ratio to it.
                let bound = Self.bound(inCache: inCache, memory: rate / ratio)
                rows.append(["decode", "\(tokens) token\(tokens == 1 ? "" : "s"), \(dtype)", String(format: "%.2f ms", seconds * 1e3),
                             String(format: "%.1f GB/s", rate), String(format: "%.2f of memory", ratio), String(format: "%.1f GB/s", inCache), bound])
                records.append(["measure": "decode_\(dtype)_\(tokens)_ratio_to_memory", "tokens": tokens, "gb_per_s": rate, "value": ratio,
                                "in_cache_gb_per_s": inCache, "bound": bound])
            }
        }
        // bf16 and fp8 weights by vdpbf16ps (activations rounded to bf16, as GPUs' bf16 products and
        // llama.cpp's): measured beside the default path when the CPU has it and it is not in use.
        // fp8 needs VBMI besides (its codes are looked up as bf16); without it that path is avx512's.
        if KernelPath.avx512bf16.isSupported, KernelPath.active != .avx512bf16 {
            let dtypes: [WeightDType] = KernelPath.avx512bf16.roundsFP8Activations ? [.bf16, .fp8] : [.bf16]
            for dtype in dtypes {
                let experts = (0..<decodeExperts).map {
                    Self.randomExpert(hidden: hidden, intermediate: intermediate, dtype: dtype.rawValue, seed: UInt64($0 + 30))
                }
                let bytes = Double(experts[0].residentBytes)
                let cached = Self.randomMatrix(rows: Self.cachedRows(hidden: hidden), cols: hidden, dtype: dtype.rawValue, seed: 7)
                for tokens in [1, 2, 4, 8] {
                    let x = Self.randomActivations(tokens: tokens, hidden: max(hidden, intermediate))
                    var y = [Float](repeating: 0, count: tokens * max(hidden, intermediate))
                    var next = 0
                    // The expert's three products, each on the same activations.
                    let (seconds, ratio) = MachineBaseline.againstMemoryRead(bytes: bytes, threads: cores) {
                        MachineBaseline.bestTime(repeats: decodeExperts) {
                            let e = experts[next]
                            for matrix in [e.gateProj, e.upProj, e.downProj] { Self.product(matrix, x, tokens: tokens, into: &y) }
                            next = (next + 1) % experts.count
                        }
                    }
                    let rate = bytes / seconds / 1e9
                    var cachedY = [Float](repeating: 0, count: tokens * cached.rows)
                    let inCache = Self.inCacheGBps(bytes: cached.residentBytes, cores: cores) {
                        Self.product(cached, x, tokens: tokens, into: &cachedY)
                    }
                    let bound = Self.bound(inCache: inCache, memory: rate / ratio)
                    rows.append(["decode", "\(tokens) token\(tokens == 1 ? "" : "s"), \(dtype.rawValue) vdpbf16ps", String(format: "%.2f ms", seconds * 1e3),
                                 String(format: "%.1f GB/s", rate), String(format: "%.2f of memory", ratio), String(format: "%.1f GB/s", inCache), bound])
                    records.append(["measure": "decode_\(dtype.rawValue)_vdpbf16ps_\(tokens)_ratio_to_memory", "tokens": tokens, "gb_per_s": rate,
                                    "value": ratio, "in_cache_gb_per_s": inCache, "bound": bound])
                }
            }
        }
        if try JSONOption.write(records, to: json) { return }
        print("expert \(hidden) → \(intermediate) → \(hidden), kernels: \(Linear.isa), \(cores) cores")
        print(Table(header: ["shape", "case", "time", "rate", "ratio", "in cache", "bound"], rows: rows, rightAligned: [2, 3, 4, 5]).render())
    }

    /// `matrix` times the first `tokens` rows of `x` (each `matrix.cols` wide) into `y`, by vdpbf16ps.
    static func product(_ matrix: WeightMatrix, _ x: [Float], tokens: Int, into y: inout [Float]) {
        precondition(x.count >= tokens * matrix.cols && y.count >= tokens * matrix.rows)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in matrix.apply(xs.baseAddress!, tokens: tokens, into: ys.baseAddress!, path: .avx512bf16) }
        }
    }

    /// Rows of the in-cache matrix: at most 512 KiB of float32 (32 rows of a 4096-wide hidden), in any
    /// core's L2 (1–2 MiB on the machines here) and below Linear's threshold, so one thread runs them
    /// at any --hidden; the activations repacked each call are 1/32 of the products at 32 rows.
    static func cachedRows(hidden: Int) -> Int { max(1, min(32, (128 << 10) / max(1, hidden))) }

    /// Weight bytes a second of the decode kernels with `matrix` in cache: one core's rate on it, the
    /// shortest of 200 calls, times `cores` (each core has its own L2).
    static func inCacheGBps(_ matrix: WeightMatrix, x: [Float], tokens: Int, cores: Int) -> Double {
        var y = [Float](repeating: 0, count: tokens * matrix.rows)
        return x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                inCacheGBps(bytes: matrix.residentBytes, cores: cores) { matrix.apply(xs.baseAddress!, tokens: tokens, into: ys.baseAddress!) }
            }
        }
    }

    /// The same for a `product` over `bytes` of weights in cache.
    static func inCacheGBps(bytes: Int, cores: Int, _ product: () -> Void) -> Double {
        Double(bytes) * Double(cores) / MachineBaseline.bestTime(repeats: 200, product) / 1e9
    }

    /// What bounds a decode row: "arithmetic" when the kernels with their weights in cache read them
    /// more slowly than memory delivers them (no memory could make the row faster), else "memory".
    static func bound(inCache: Double, memory: Double) -> String {
        inCache < memory ? "arithmetic" : "memory"
    }

    /// An expert of random weights in `dtype` (f32, bf16, or fp8 with 128×128 block scales).
    static func randomExpert(hidden: Int, intermediate: Int, dtype: String, seed: UInt64) -> ExpertWeights {
        ExpertWeights(gateProj: randomMatrix(rows: intermediate, cols: hidden, dtype: dtype, seed: seed),
                      upProj: randomMatrix(rows: intermediate, cols: hidden, dtype: dtype, seed: seed &+ 1_000),
                      downProj: randomMatrix(rows: hidden, cols: intermediate, dtype: dtype, seed: seed &+ 2_000))
    }

    /// A matrix of random weights in `dtype`, scaled by 1/√cols.
    static func randomMatrix(rows: Int, cols: Int, dtype: String, seed: UInt64) -> WeightMatrix {
        var rng = SplitMix64(seed: seed)
        let scale = 1 / Float(cols).squareRoot()
        let values = (0..<(rows * cols)).map { _ in (rng.nextFloat() - 0.5) * scale }
        switch WeightDType(rawValue: dtype) ?? .f32 {
        case .f32: return WeightMatrix(rows: rows, cols: cols, values: values)
        case .bf16: return WeightMatrix(rows: rows, cols: cols, storage: .bf16(WeightBuffer(values.map(BFloat16.bits))))
        case .fp8: return WeightMatrix(rows: rows, cols: cols, storage: .fp8(.quantizing(values, rows: rows, cols: cols)))
        }
    }

    static func randomActivations(tokens: Int, hidden: Int) -> [Float] {
        var rng = SplitMix64(seed: 99)
        return (0..<(tokens * hidden)).map { _ in rng.nextFloat() - 0.5 }
    }
}
