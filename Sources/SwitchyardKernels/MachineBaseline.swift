import CKernels
import Dispatch
import Foundation
import SwitchyardCore

/// Rates of this machine that kernel benchmarks are divided by, measured in the same run.
public enum MachineBaseline {
    /// GFLOP/s of one square OpenBLAS sgemm of side `n`, best of `repeats`.
    public static func sgemmGFLOPS(n: Int, threads: Int, repeats: Int = 3) -> Double {
        SgemmProbe(n: n).gflops(threads: threads, repeats: repeats)
    }

    /// One square sgemm's operands, made once and timed as often as asked.
    public final class SgemmProbe {
        let n: Int
        let a: [Float], b: [Float]
        var c: [Float]

        public init(n: Int) {
            self.n = n
            var rng = SplitMix64(seed: 1)
            a = (0..<(n * n)).map { _ in rng.nextFloat() - 0.5 }
            b = (0..<(n * n)).map { _ in rng.nextFloat() - 0.5 }
            c = [Float](repeating: 0, count: n * n)
        }

        /// GFLOP/s of the product on `threads` threads, best of `repeats`.
        public func gflops(threads: Int, repeats: Int = 3) -> Double {
            let previous = BLAS.threadCount
            BLAS.setThreadCount(threads)
            defer { BLAS.setThreadCount(previous) }
            let n = n
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

    /// `rounds` rounds of a memory read (`readBytes`, `threads` threads) and then `time` (seconds
    /// for `bytes` read by the measured code): the median seconds, and the median of each round's
    /// rate over the memory rate measured just before it. This machine's memory rate drifts between
    /// runs and within one (a one-off baseline measured 31.8–87.5 GB/s in one afternoon while the
    /// decode kernels read a steady ~40), so a rate is held against the memory of its own moment.
    public static func againstMemoryRead(bytes: Double, threads: Int, rounds: Int = 3, readBytes: Int = 256 << 20,
                                         time: () -> Double) -> (seconds: Double, ratio: Double) {
        againstBaseline(work: bytes / 1e9, rounds: rounds, baseline: { memoryReadGBps(bytes: readBytes, threads: threads, repeats: 2) }, time: time)
    }

    /// `rounds` rounds of `baseline` (a rate, units of work a second) and then `time` (seconds for
    /// `work` units): the median seconds, and the median of each round's rate over the baseline
    /// measured just before it.
    public static func againstBaseline(work: Double, rounds: Int = 3, baseline: () -> Double,
                                       time: () -> Double) -> (seconds: Double, ratio: Double) {
        var seconds: [Double] = [], ratios: [Double] = []
        for _ in 0..<max(1, rounds) {
            let rate = baseline()
            let s = time()
            seconds.append(s)
            ratios.append(work / s / rate)
        }
        return (median(seconds), median(ratios))
    }

    /// The middle value (the mean of the two middle ones for an even count); `values` not empty.
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted(), n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
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
