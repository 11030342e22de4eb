import Dispatch
import Foundation

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
                sums.base[t] = Reduction.sum(base.base + t * chunk, count: chunk)
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

enum Reduction {
    /// Sum of `count` floats (a multiple of 64), eight independent SIMD accumulators so loads
    /// are not serialised behind one add chain.
    static func sum(_ pointer: UnsafePointer<Float>, count: Int) -> Float {
        var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                   SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        let raw = UnsafeRawPointer(pointer)
        var i = 0
        while i < count {
            let p = raw + i * 4
            acc.0 += p.loadUnaligned(as: SIMD8<Float>.self)
            acc.1 += (p + 32).loadUnaligned(as: SIMD8<Float>.self)
            acc.2 += (p + 64).loadUnaligned(as: SIMD8<Float>.self)
            acc.3 += (p + 96).loadUnaligned(as: SIMD8<Float>.self)
            acc.4 += (p + 128).loadUnaligned(as: SIMD8<Float>.self)
            acc.5 += (p + 160).loadUnaligned(as: SIMD8<Float>.self)
            acc.6 += (p + 192).loadUnaligned(as: SIMD8<Float>.self)
            acc.7 += (p + 224).loadUnaligned(as: SIMD8<Float>.self)
            i += 64
        }
        let total = (acc.0 + acc.1) + (acc.2 + acc.3) + (acc.4 + acc.5) + (acc.6 + acc.7)
        return total.sum()
    }
}
