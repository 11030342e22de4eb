import COpenBLAS

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
