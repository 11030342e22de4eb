import CKernels
import Testing
@testable import SwitchyardKernels
import SwitchyardCore

/// The product a plain triple loop gives, in double precision, for row-major storage.
func referenceProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                      transA: Transpose, transB: Transpose, lda: Int, ldb: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let x = transA == .none ? a[i * lda + p] : a[p * lda + i]
                let y = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                sum += Double(x) * Double(y)
            }
            c[i * n + j] = sum
        }
    }
    return c
}

@Suite struct BLASTests {
    @Test(arguments: [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)])
    func sgemmMatchesTripleLoop(transA: Transpose, transB: Transpose) {
        var rng = SplitMix64(seed: 42)
        let (m, n, k) = (37, 53, 71)
        // Stored shapes, with padding columns so the leading dimensions differ from the widths.
        let aRows = transA == .none ? m : k, aCols = transA == .none ? k : m
        let bRows = transB == .none ? k : n, bCols = transB == .none ? n : k
        let lda = aCols + 3, ldb = bCols + 5, ldc = n + 2
        let a = (0..<(aRows * lda)).map { _ in rng.nextFloat() * 2 - 1 }
        let b = (0..<(bRows * ldb)).map { _ in rng.nextFloat() * 2 - 1 }
        let c0 = (0..<(m * ldc)).map { _ in rng.nextFloat() }
        var c = c0
        let alpha: Float = 0.75, beta: Float = -0.5
        BLAS.sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: ldc)
        let expected = referenceProduct(a, b, m: m, n: n, k: k, transA: transA, transB: transB, lda: lda, ldb: ldb)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let want = Double(alpha) * expected[i * n + j] + Double(beta) * Double(c0[i * ldc + j])
                worst = max(worst, abs(Double(c[i * ldc + j]) - want))
            }
            // Padding columns of C are not part of the product and stay as they were.
            for j in n..<ldc { #expect(c[i * ldc + j] == c0[i * ldc + j]) }
        }
        #expect(worst < 1e-4, "largest difference from the triple loop: \(worst)")
    }

    @Test func reportsConfigurationAndThreads() {
        #expect(BLAS.configuration.contains("OpenBLAS"))
        #expect(BLAS.threadCount >= 1)
    }
}

@Suite struct CPUFeaturesTests {
    @Test func parsesModelAndFlags() {
        let text = """
        processor\t: 0
        model name\t: AMD EPYC 9654
        flags\t\t: fpu sse4_2 avx avx2 fma f16c
        processor\t: 1
        model name\t: other
        flags\t\t: fpu
        """
        let cpu = CPUFeatures.parse(cpuinfo: text, logicalCores: 2)
        #expect(cpu.modelName == "AMD EPYC 9654")
        #expect(cpu.simd == ["sse4_2", "avx", "avx2", "fma", "f16c"])
        #expect(cpu.logicalCores == 2)
    }

    @Test func readBaselineSumsEveryElement() {
        // 1,000 values: a 64-wide body and a tail; small integers add exactly in float32.
        let values = (0..<1000).map { Float($0 % 7) }
        let sum = values.withUnsafeBufferPointer { sy_sum_f32($0.baseAddress!, $0.count) }
        #expect(sum == values.reduce(0, +))
    }
}

@Suite struct MachineBaselineTests {
    /// Each round's rate is held against the baseline measured just before it, and the medians are
    /// taken over the rounds: a round whose baseline and measurement both halved keeps its ratio.
    @Test func ratiosAreTakenAgainstTheBaselineOfTheirOwnRound() {
        var baselines: [Double] = [100, 50, 100], times: [Double] = [0.5, 1.0, 0.25]
        let (seconds, ratio) = MachineBaseline.againstBaseline(work: 40, rounds: 3, baseline: { baselines.removeFirst() }) { times.removeFirst() }
        // Rates 80, 40, 160 against baselines 100, 50, 100: ratios 0.8, 0.8, 1.6.
        #expect(seconds == 0.5)
        #expect(ratio == 0.8)
        #expect(baselines.isEmpty && times.isEmpty)
    }
}
