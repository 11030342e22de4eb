import Foundation

/// Numbers as the tables print them.
public enum Format {
    public static func seconds(_ s: Double) -> String {
        if s >= 1 { return String(format: "%.2f s", s) }
        if s >= 1e-3 { return String(format: "%.2f ms", s * 1e3) }
        return String(format: "%.1f µs", s * 1e6)
    }

    public static func bytes(_ b: Double) -> String {
        let a = abs(b)
        if a >= 1_073_741_824 { return String(format: "%.1f GiB", b / 1_073_741_824) }
        if a >= 1_048_576 { return String(format: "%.1f MiB", b / 1_048_576) }
        if a >= 1024 { return String(format: "%.1f KiB", b / 1024) }
        return String(format: "%.0f B", b)
    }

    public static func bytes(_ b: Int) -> String { bytes(Double(b)) }

    /// Parameter counts: 118.97B, 6.61B, 25.17M, 4.2K.
    public static func parameters(_ n: Int) -> String {
        let v = Double(n)
        switch v {
        case 1e9...: return String(format: "%.2fB", v / 1e9)
        case 1e6...: return String(format: "%.2fM", v / 1e6)
        case 1e3...: return String(format: "%.1fK", v / 1e3)
        default: return String(n)
        }
    }

    public static func rate(_ bytesPerSecond: Double) -> String { String(format: "%.1f GB/s", bytesPerSecond / 1e9) }
    public static func percent(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }
    public static func count(_ n: Double) -> String {
        n >= 1e4 ? String(format: "%.0f", n) : n >= 100 ? String(format: "%.0f", n) : String(format: "%.1f", n)
    }
}
