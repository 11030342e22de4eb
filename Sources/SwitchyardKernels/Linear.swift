import CKernels
import Dispatch

/// y = x · Wᵀ for a Linear layer's weight W [rows = out, cols = in], x [tokens × cols], y [tokens × rows].
///
/// Few tokens (decode) stream each weight row once through a SIMD kernel, split across cores;
/// many tokens (prefill) go to OpenBLAS sgemm, 16-bit weights widened a tile of rows at a time.
public enum Linear {
    /// At or below this many tokens the streaming kernel beats sgemm: weights dominate the traffic.
    public static let streamingTokenLimit = 8
    /// Below this many weights a product runs on the calling thread alone.
    static let parallelThreshold = 1 << 16
    /// Float32 values of 16-bit weights widened per sgemm call (4 MiB, e.g. 256 rows of 4096): a
    /// tile that stays in cache between the widening and sgemm's packing of it, yet has rows enough
    /// that repacking the activations for each tile is a small share of the product.
    static let widenTileValues = 1 << 20

    /// The name of the kernel path in use (`KernelPath.active`).
    public static var isa: String { KernelPath.active.rawValue }

    public static func f32(_ w: UnsafePointer<Float>, rows: Int, cols: Int,
                           x: UnsafePointer<Float>, tokens: Int, y: UnsafeMutablePointer<Float>,
                           path: KernelPath = .active) {
        guard tokens > 0, rows > 0 else { return }
        if tokens <= streamingTokenLimit {
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
                            path: KernelPath = .active) {
        guard tokens > 0, rows > 0 else { return }
        if tokens <= streamingTokenLimit {
            let w = SendablePointer(w), x = SendablePointer(x), y = SendablePointer(y), code = path.code
            forRowRanges(rows: rows, cols: cols) { r0, r1 in
                sy_stream_bf16_on(code, w.base, cols, x.base, cols, tokens, y.base, rows, r0, r1)
            }
            return
        }
        let blockRows = min(rows, max(64, widenTileValues / max(1, cols)))
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

    /// Splits [0, rows) into one contiguous range per core when the product is big enough.
    static func forRowRanges(rows: Int, cols: Int, _ body: @Sendable (Int, Int) -> Void) {
        let workers = rows * cols >= parallelThreshold ? min(Parallelism.cores, rows) : 1
        if workers == 1 { body(0, rows); return }
        DispatchQueue.concurrentPerform(iterations: workers) { i in
            body(rows * i / workers, rows * (i + 1) / workers)
        }
    }
}

public enum Parallelism {
    /// Cores the kernels split work across.
    public static let cores = CPUFeatures.current().logicalCores
}
