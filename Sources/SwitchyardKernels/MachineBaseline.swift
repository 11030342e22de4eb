import CKernels
import Dispatch
import Foundation
import SwitchyardCore

/// Rates of this machine that kernel benchmarks are divided by, measured in the same run.
public enum MachineBaseline {
    /// GFLOP/s of one square OpenBLAS sgemm of side `n`, best of `repeats`.
    public static func sgemmGFLOPS(n: Int, threads: Int, repeats: Int = 3) -> Double {
        let previous = BLAS.threadCount
        BLAS.setThreadCount(threads)
        defer { BLAS.setThreadCount(previous) }
        var rng = SplitMix64(seed: 1)
        let a = (0..<(n * n)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(n * n)).map { _ in rng.nextFloat() - 0.5 }
        var c = [Float](repeating: 0, count: n * n)
        let seconds = bestTime(repeats: repeats) {
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(.none, .none, m: n, n: n, k: n, a: a.baseAddress!, lda: n,
                                   b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }

    /// GB/s of memory read by `threads` threads summing a buffer of `bytes`, best of `repeats`.
    public static func memoryReadGBps(bytes: Int, threads: Int, repeats: Int = 5) -> Double {
        let count = bytes / MemoryLayout<Float>.stride
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1)
        let chunk = (count / threads) & ~63
        let sink = UnsafeMutableBufferPointer<Float>.allocate(capacity: threads)
        defer { sink.deallocate() }
        let base = SendablePointer(buffer.baseAddress!), sums = SendablePointer(sink.baseAddress!)
        let seconds = bestTime(repeats: repeats) {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                sums.base[t] = sy_sum_f32(base.base + t * chunk, chunk)
            }
        }
        return Double(chunk * threads * MemoryLayout<Float>.stride) / seconds / 1e9
    }

    /// GB/s copied by memcpy of `bytes` (each byte read once and written once), best of `repeats`.
    public static func memcpyGBps(bytes: Int, repeats: Int = 5) -> Double {
        let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { source.deallocate(); target.deallocate() }
        memset(source, 1, bytes)
        memset(target, 0, bytes)
        let seconds = bestTime(repeats: repeats) { memcpy(target, source, bytes) }
        return Double(bytes) / seconds / 1e9
    }

    /// The shortest of `repeats` timed runs of `body`, after one untimed warm-up run.
    public static func bestTime(repeats: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = ContinuousClock.now
            body()
            let elapsed = ContinuousClock.now - start
            best = min(best, elapsed.inSeconds)
        }
        return best
    }
}
