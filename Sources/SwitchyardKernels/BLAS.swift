import COpenBLAS
import Foundation

/// Whether an operand of a matrix product is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// OpenBLAS, as this process linked it.
public enum BLAS {
    /// The configuration string OpenBLAS was built with (kernel family, threading, flags).
    public static var configuration: String {
        guard let cString = openblas_get_config() else { return "unknown" }
        return String(cString: cString)
    }

    /// OpenBLAS's kernel family in use ("Cooperlake", "SkylakeX", "Haswell", …).
    public static var core: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// How `core` came to be, for `switchyard doctor`: OPENBLAS_CORETYPE in the environment forces
    /// a family (Haswell's AVX2 kernels on an AVX-512 CPU run sgemm at about 0.6× of its own).
    public static var coreOrigin: String {
        if let forced = getenv("OPENBLAS_CORETYPE") { return "OPENBLAS_CORETYPE=\(String(cString: forced)) in the environment" }
        return "chosen by OpenBLAS for this CPU"
    }

    /// OpenBLAS's kernel family in use has 512-bit kernels (its AVX-512 families: SkylakeX,
    /// Cooperlake, SapphireRapids); the others are 256 bits wide or narrower.
    public static let hasAVX512Kernels = ["skylakex", "cooperlake", "sapphirerapids"].contains(core.lowercased())

    /// Threads OpenBLAS uses for one product.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// C = alpha · op(A) · op(B) + beta · C on row-major buffers.
    ///
    /// op(A) is m×k and op(B) is k×n; `lda`, `ldb` and `ldc` are the row strides of the
    /// buffers as stored (before any transpose).
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm dimensions must be non-negative")
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc)
        )
    }
}
