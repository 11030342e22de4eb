import CKernels
import Foundation

/// The instruction-set path the streaming (decode) kernels run on.
///
/// `avx512` widens bf16 weights in registers and multiplies in float32, as `avx2` and `portable` do;
/// `avx512bf16` multiplies with `vdpbf16ps`, which first rounds the activations to bf16 (relative
/// error up to 2⁻⁹ per activation, so |Δy| ≤ 2⁻⁸·Σ|wᵢxᵢ|), so it runs only when asked for.
public enum KernelPath: String, CaseIterable, Sendable {
    case portable, avx2, avx512, avx512bf16

    /// The environment variable that forces a path, e.g. `SWITCHYARD_KERNELS=portable`.
    public static let environmentVariable = "SWITCHYARD_KERNELS"

    var code: Int32 {
        switch self {
        case .portable: Int32(SY_KERNELS_PORTABLE.rawValue)
        case .avx2: Int32(SY_KERNELS_AVX2.rawValue)
        case .avx512: Int32(SY_KERNELS_AVX512.rawValue)
        case .avx512bf16: Int32(SY_KERNELS_AVX512BF16.rawValue)
        }
    }

    /// Whether this CPU (and its OS) runs the path.
    public var isSupported: Bool { sy_kernel_path_supported(code) != 0 }

    /// How this path's decode kernels take FP8 E4M3 codes, for `switchyard doctor`.
    public var fp8Decode: String {
        switch self {
        case .portable: return "widened one code at a time (portable)"
        case .avx2: return "widened through IEEE half (F16C; portable without it), float32 products"
        case .avx512, .avx512bf16:
            if roundsFP8Activations { return "looked up as bf16 (VBMI) into vdpbf16ps, activations rounded to bf16" }
            return sy_fp8_lookup_supported() != 0 ? "looked up (VBMI) at 1-4 tokens, widened through IEEE half from 5; float32 products"
                : "widened through IEEE half, float32 products"
        }
    }

    /// Whether this path multiplies FP8 weights by `vdpbf16ps` (activations rounded to bf16): avx512bf16
    /// where the CPU also has VBMI, which looks the codes up as bf16; without it avx512's kernel runs.
    public var roundsFP8Activations: Bool { self == .avx512bf16 && isSupported && sy_fp8_lookup_supported() != 0 }

    /// The path's kernels are 512 bits wide.
    public var isAVX512: Bool { self == .avx512 || self == .avx512bf16 }

    /// The paths this CPU runs, slowest first.
    public static var supported: [KernelPath] { allCases.filter(\.isSupported) }

    /// The path used when none is asked for: the fastest that keeps float32 activations.
    public static var best: KernelPath {
        allCases.first { $0.code == sy_kernel_path_best() } ?? .portable
    }

    /// The path `value` (the environment variable's text) asks for; `best` when it is unset or empty.
    public static func requested(by value: String?, supported: [KernelPath] = supported,
                                 best: KernelPath = best) throws(KernelPathError) -> KernelPath {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return best }
        guard let path = KernelPath(rawValue: value.lowercased()) else {
            throw .unknown(value, supported: supported)
        }
        guard supported.contains(path) else { throw .unsupported(path, supported: supported) }
        return path
    }

    /// The path this process's kernels use: `SWITCHYARD_KERNELS` if set, else `best`.
    public static func fromEnvironment() throws(KernelPathError) -> KernelPath {
        try requested(by: ProcessInfo.processInfo.environment[environmentVariable])
    }

    /// The path `Linear` uses, fixed at first use. A `SWITCHYARD_KERNELS` this CPU cannot run stops
    /// the process with exit code 2 and the reason: running another path would measure the wrong code.
    public static let active: KernelPath = {
        do {
            let path = try fromEnvironment()
            _ = sy_kernel_path_select(path.code)
            return path
        } catch {
            FileHandle.standardError.write(Data("switchyard: \(error)\n".utf8))
            exit(2)
        }
    }()
}

/// Why a requested kernel path cannot be used.
public enum KernelPathError: Error, Equatable, CustomStringConvertible {
    case unknown(String, supported: [KernelPath])
    case unsupported(KernelPath, supported: [KernelPath])

    public var description: String {
        let variable = KernelPath.environmentVariable
        switch self {
        case .unknown(let value, let supported):
            return "\(variable)=\(value) is not a kernel path; expected one of "
                + "\(KernelPath.allCases.map(\.rawValue).joined(separator: ", ")) (this CPU runs \(supported.map(\.rawValue).joined(separator: ", ")))"
        case .unsupported(let path, let supported):
            return "\(variable)=\(path.rawValue): this CPU cannot run that path; it runs \(supported.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
