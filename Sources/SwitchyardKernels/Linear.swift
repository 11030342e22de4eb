import CKernels
import Dispatch
import Synchronization

/// y = x · Wᵀ for a Linear layer's weight W [rows = out, cols = in], x [tokens × cols], y [tokens × rows].
///
/// Few tokens (decode) stream each weight row once through a SIMD kernel, split across cores (8
/// tokens a pass; more run a cache-sized tile of rows at a time, so the weights still come from
/// memory once); many tokens (prefill) go to OpenBLAS sgemm, 16- and 8-bit weights widened a tile
/// of rows at a time, unless OpenBLAS's kernels are narrower than the streaming kernels' or, on an
/// AVX-512 path, the tokens are few enough that streaming wins (`streams`).
public enum Linear {
    /// At or below this many tokens the streaming kernels run (8 tokens a pass over the weights):
    /// they beat sgemm there (mini at batch 16: 274.5 against 231.6 decode tokens/s; Mistral Small
    /// 4's widths, bf16 40.2 against 29.7, fp8 39.5 against 33.0, f32 28.6 against 29.7), and they
    /// sum each (row, token) in one order whatever the other tokens, so up to this many a token's
    /// result does not depend on what shares its product: ping-pong's halves of a 16-sequence
    /// batch give the whole batch's logits.
    public static let streamingTokenLimit = 16

    /// Whether `tokens` tokens run the streaming kernels on `path` rather than sgemm: up to
    /// `streamingTokenLimit` always; past it too where OpenBLAS's kernels are narrower than the
    /// streaming kernels' (an AVX-512 path over one of OpenBLAS's 256-bit families, as with
    /// OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU). There the streaming kernels, a cache-sized tile
    /// of rows at a time, beat sgemm at every token count (bench experts' 4096 → 2048 → 4096
    /// expert, 2 cores, against sgemm at 32/64/128/512 tokens: f32 9.4/17.1/33.5/119.7 ms against
    /// 11.0/20.7/35.6/121.2, bf16 5.2/9.5/19.5/76.1 against 14.1/35.9/46.6/126.5, fp8
    /// 4.6/8.9/18.7/72.4 against 15.1/30.7/49.4/129.9); forced to AVX2 on the same machine they
    /// lose to sgemm (64 tokens: f32 23.3 against 17.8 ms, fp8 32.4 against 22.7), so elsewhere sgemm
    /// keeps the many-token products.
    /// On an AVX-512 path over OpenBLAS's own AVX-512 kernels, float32 weights also stream up to
    /// `f32StreamingTokenLimit` tokens, 16- and 8-bit ones (`narrowWeights`) up to `narrowStreamingTokenLimit`.
    public static func streams(tokens: Int, path: KernelPath, narrowWeights: Bool = false) -> Bool {
        tokens <= streamingTokenLimit
            || (path.isAVX512 && (!BLAS.hasAVX512Kernels || tokens <= (narrowWeights ? narrowStreamingTokenLimit : f32StreamingTokenLimit)))
    }
    /// Up to this many tokens float32 weights stream on an AVX-512 path even where OpenBLAS's kernels
    /// are 512 bits wide: sgemm packs every weight it reads, the streaming kernels read each once
    /// from memory and, their activations packed, the later passes from cache. Measured on an Ice
    /// Lake server (2 cores, OpenBLAS SkylakeX, the 4096 → 2048 → 4096 expert over 8 experts'
    /// weights, best of 6 alternating): 20/24/32/48/64 tokens 14.7/12.5/16.2/28.7/33.6 ms streaming
    /// against 25.6/20.0/20.9/26.5/28.9 for sgemm.
    public static let f32StreamingTokenLimit = 32

    /// Whether the AVX-512 kernels take a product of one token a row at a time, without prefetching
    /// (true), or in blocks of 3–4 rows with the next block prefetched as one stream (false). The
    /// results are the same bits either way; the default is true on AMD CPUs, where one sequential
    /// stream a thread read memory faster (measured in `stream.c`), false elsewhere.
    public static var oneTokenByRows: Bool {
        get { sy_stream_single_row_enabled() != 0 }
        set { sy_stream_set_single_row(newValue ? 1 : 0) }
    }
    /// Up to this many tokens bf16 and fp8 weights stream on an AVX-512 path even where OpenBLAS's
    /// kernels are 512 bits wide: widening a tile of them for sgemm, which then packs it again, costs
    /// more than the streaming kernels' pass of 8 tokens at a time over each cached tile. Measured on
    /// an Ice Lake server (2 cores, OpenBLAS SkylakeX, the 4096 → 2048 → 4096 expert, two alternating
    /// pairs, streaming against sgemm): bf16 at 32/64/128/256 tokens 15.0–21.3/26.8–27.3/54.1–54.3/
    /// 101.9–119.9 ms against 53.1–55.0/55.7–58.2/77.6–81.6/115.2–124.0, fp8 14.4–15.1/27.1–27.8/
    /// 55.2–62.1/121.1–130.6 against 32.5–57.2/38.8–41.2/66.2–74.1/105.7–154.6: ahead to 128, even at
    /// 256.
    public static let narrowStreamingTokenLimit = 128
    /// Below this many weights (4 MiB of float32) a product runs on the calling thread alone: waking
    /// a worker for each of the many small products of a step cost more than the half it takes
    /// (mini, one process, 2 cores, three alternating runs at 1 << 16 and at this: decode 260–319 →
    /// 351–396 tokens/s, 64-token prompt 1235–1377 → 1765–1841; `bench model --batch 8` 371–431 →
    /// 502–589; Mistral Small 4's widths, whose products are all larger but the router's, unchanged).
    static let parallelThreshold = 1 << 20
    /// Float32 values of 16- or 8-bit weights widened per sgemm call (16 MiB, e.g. 1,024 rows of
    /// 4096): sgemm packs the activations again for every call, so a tile needs rows enough that
    /// this is a small share of the product. Measured with `bench experts` (512 tokens, the 4096 →
    /// 2048 → 4096 expert, Ice Lake server, 2 cores, OpenBLAS SkylakeX), 8 alternating pairs, each
    /// ratio to the f32 row of its own run: 4 MiB tiles bf16 0.71–0.93 (median 0.77), fp8 0.68–0.99
    /// (0.82); 16 MiB tiles bf16 0.69–0.97 (0.915), fp8 0.70–1.16 (0.91). `tileValues` of `bf16` and
    /// `fp8` overrides it (tests cut small matrices into several tiles), never below 64 rows a tile.
    public static let widenTileValues = 1 << 22

    /// The name of the kernel path in use (`KernelPath.active`).
    public static var isa: String { KernelPath.active.rawValue }

    public static func f32(_ w: UnsafePointer<Float>, rows: Int, cols: Int,
                           x: UnsafePointer<Float>, tokens: Int, y: UnsafeMutablePointer<Float>,
                           path: KernelPath = .active) {
        guard tokens > 0, rows > 0 else { return }
        if streams(tokens: tokens, path: path) {
            let w = SendablePointer(w), x = SendablePointer(x), y = SendablePointer(y), code = path.code
            forRowRanges(rows: rows, cols: cols) { r0, r1 in
                sy_stream_f32_on(code, w.base, cols, x.base, cols, tokens, y.base, rows, r0, r1)
            }
        } else {
            BLAS.sgemm(.none, .transposed, m: tokens, n: rows, k: cols, a: x, lda: cols, b: w, ldb: cols, c: y, ldc: rows)
        }
    }

    public static func bf16(_ w: UnsafePointer<UInt16>, rows: Int, cols: Int,
                            x: UnsafePointer<Float>, tokens: Int, y: UnsafeMutablePointer<Float>,
                            path: KernelPath = .active, tileValues: Int = widenTileValues) {
        guard tokens > 0, rows > 0 else { return }
        if streams(tokens: tokens, path: path, narrowWeights: true) {
            let w = SendablePointer(w), x = SendablePointer(x), y = SendablePointer(y), code = path.code
            forRowRanges(rows: rows, cols: cols) { r0, r1 in
                sy_stream_bf16_on(code, w.base, cols, x.base, cols, tokens, y.base, rows, r0, r1)
            }
            return
        }
        let blockRows = min(rows, max(64, tileValues / max(1, cols)))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * cols)
        defer { scratch.deallocate() }
        var r0 = 0
        while r0 < rows {
            let n = min(blockRows, rows - r0)
            sy_bf16_to_f32(w + r0 * cols, scratch, n * cols)
            BLAS.sgemm(.none, .transposed, m: tokens, n: n, k: cols, a: x, lda: cols, b: scratch, ldb: cols,
                       c: y + r0, ldc: rows)
            r0 += n
        }
    }

    /// Side of the square blocks FP8 weights are scaled by (DeepSeek-V3's `weight_block_size`).
    public static let fp8BlockSize = Int(SY_FP8_BLOCK)

    /// FP8 E4M3 weights with one float32 scale per 128×128 block: W[r][c] = e4m3(w[r][c]) ·
    /// scaleInv[(r + rowPhase) / 128][c / 128]. `scaleInv` starts at the block row holding row 0;
    /// `rowPhase` is row 0's place in it (non-zero for an expert sliced out of a fused tensor).
    /// Decode widens in registers; prefill widens a tile of rows at a time into sgemm.
    public static func fp8(_ w: UnsafePointer<UInt8>, rows: Int, cols: Int, scaleInv: UnsafePointer<Float>, rowPhase: Int = 0,
                           x: UnsafePointer<Float>, tokens: Int, y: UnsafeMutablePointer<Float>,
                           path: KernelPath = .active, tileValues: Int = widenTileValues) {
        precondition((0..<fp8BlockSize).contains(rowPhase), "rowPhase \(rowPhase) is not inside a \(fp8BlockSize)-row block")
        guard tokens > 0, rows > 0 else { return }
        if streams(tokens: tokens, path: path, narrowWeights: true) {
            let w = SendablePointer(w), s = SendablePointer(scaleInv), x = SendablePointer(x), y = SendablePointer(y), code = path.code
            forRowRanges(rows: rows, cols: cols) { r0, r1 in
                sy_stream_fp8_on(code, w.base, cols, s.base, rowPhase, x.base, cols, tokens, y.base, rows, r0, r1)
            }
            return
        }
        let blockRows = min(rows, max(64, tileValues / max(1, cols)))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * cols)
        defer { scratch.deallocate() }
        var r0 = 0
        while r0 < rows {
            let n = min(blockRows, rows - r0)
            widenFP8(w, cols: cols, scaleInv: scaleInv, rowPhase: rowPhase, rows: r0..<r0 + n, into: scratch)
            BLAS.sgemm(.none, .transposed, m: tokens, n: n, k: cols, a: x, lda: cols, b: scratch, ldb: cols,
                       c: y + r0, ldc: rows)
            r0 += n
        }
    }

    /// Rows `range` of such an FP8 matrix as float32 (value × scale, one rounding) into `destination`.
    public static func widenFP8(_ w: UnsafePointer<UInt8>, cols: Int, scaleInv: UnsafePointer<Float>, rowPhase: Int,
                                rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        sy_fp8_to_f32(w, cols, scaleInv, rowPhase, range.lowerBound, range.upperBound, destination)
    }

    /// Splits [0, rows) over the cores when the product is big enough: `chunksPerWorker` contiguous
    /// chunks a thread, taken in turn from a shared counter, so a thread the machine slows (another
    /// process, the hypervisor) takes fewer of them instead of holding the product up. Each row's
    /// result does not depend on the chunk it falls in, so neither do the bits.
    static func forRowRanges(rows: Int, cols: Int, _ body: @Sendable (Int, Int) -> Void) {
        let workers = rows * cols >= parallelThreshold ? min(Parallelism.threads, rows) : 1
        if workers == 1 { body(0, rows); return }
        // Every chunk repacks the activations, so small products keep one chunk a thread; and as many
        // chunks for each thread, or one would take a chunk more than the other at the end.
        let perWorker = min(chunksPerWorker, max(1, rows * cols / (workers * chunkValues)))
        let chunks = min(rows, workers * perWorker), next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard c < chunks else { return }
                body(rows * c / chunks, rows * (c + 1) / chunks)
            }
        }
    }

    /// Chunks a thread of `forRowRanges` takes on average, at most; and the fewest weights a chunk
    /// has when there are more chunks than threads. Measured on a 2-core AMD EPYC, alternating with
    /// one range a thread: real-width bf16 decode (its 131,072-row LM head in 16 chunks, its experts
    /// in 2) 11.4/11.9 → 13.4/12.9 tokens/s widened, 16.6/16.2 → 17.7/16.0 by vdpbf16ps (the noise);
    /// mini at batch 8 519/521/479 → 554/551/583. 8 chunks a thread for every product had cost mini
    /// 8% (its activations repacked per chunk), and its LM head in 3 chunks over 2 threads 10–18%:
    /// hence the floor and a whole number of chunks a thread.
    static let chunksPerWorker = 8
    static let chunkValues = 1 << 22
}

/// How many threads one process's kernels split work across: every core of the machine, unless
/// the process shares the cores with others of its kind. Eight expert hosts on a 2-core machine,
/// each splitting every product over 2 threads, spend their time waiting for each other's halves
/// to be scheduled: with one thread each, the default run's hosts did the same experts in 0.17–0.19
/// s of CPU against 0.23–0.29 s, and their dispatch-to-combine spans summed to half.
public enum Parallelism {
    /// Cores of this machine.
    public static let machineCores = CPUFeatures.current().logicalCores
    private static let limit = Atomic<Int>(0)

    /// Threads the kernels split work across (OpenBLAS's too, once `limit(to:)` has set them).
    public static var threads: Int {
        let limited = limit.load(ordering: .relaxed)
        return limited > 0 ? limited : machineCores
    }

    /// This process's kernels and OpenBLAS use at most `threads` threads (at least one).
    public static func limit(to threads: Int) {
        let threads = max(1, min(threads, machineCores))
        limit.store(threads, ordering: .relaxed)
        BLAS.setThreadCount(threads)
    }

    /// Threads each of `processes` processes sharing this machine's cores gets: the cores divided
    /// among them, at least one.
    public static func share(among processes: Int) -> Int { max(1, machineCores / max(1, processes)) }
}
