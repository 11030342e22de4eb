import Foundation

/// What the CPU this process runs on offers the kernels.
public struct CPUFeatures: Sendable {
    public var modelName: String
    public var logicalCores: Int
    /// SIMD extensions found, in the order of `CPUFeatures.interesting`.
    public var simd: [String]

    /// The extensions the kernels care about, from /proc/cpuinfo's `flags` line.
    public static let interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vbmi", "avx512_bf16", "amx_bf16", "neon", "asimd"]

    public static func current() -> CPUFeatures {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return parse(cpuinfo: cpuinfo, logicalCores: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Reads the first processor's model name and flags from the text of /proc/cpuinfo.
    public static func parse(cpuinfo: String, logicalCores: Int) -> CPUFeatures {
        var model = "unknown"
        var flags = Set<String>()
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "model name" where model == "unknown": model = parts[1]
            case "flags" where flags.isEmpty, "Features" where flags.isEmpty:
                flags = Set(parts[1].split(separator: " ").map(String.init))
            default: break
            }
        }
        return CPUFeatures(modelName: model, logicalCores: logicalCores, simd: interesting.filter(flags.contains))
    }
}
