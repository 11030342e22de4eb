import Foundation
import SwitchyardCore

/// Where a run keeps summary.json, its traffic files and report.html: `--out`, or
/// runs/<UTC timestamp>-<pid> so that runs started in the same second do not share one.
public enum RunDirectory {
    /// The default path for a run started at `date` by process `pid`.
    public static func defaultPath(date: Date = Date(), pid: Int32 = getpid()) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return "runs/\(formatter.string(from: date))-\(pid)"
    }

    /// `out`, or the default path; created if missing.
    public static func create(_ out: String?) throws -> URL {
        let url = URL(fileURLWithPath: out ?? defaultPath())
        try OutputFile.makeDirectory(url.path)
        return url
    }

    /// `create`, for a run about to start: the files an earlier run left in a reused `--out` are
    /// removed first, so no host file of a larger earlier run is read as this run's. Only files a
    /// run writes (`isRunFile`) are touched; anything else in the folder stays.
    public static func start(_ out: String?) throws -> URL {
        let url = try create(out)
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where isRunFile(name) {
            try FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }
        return url
    }

    /// The names a run writes into its directory: summary.json, traffic.jsonl, traffic.csv,
    /// report.html and traffic-host-K.jsonl.
    public static func isRunFile(_ name: String) -> Bool {
        if ["summary.json", "traffic.jsonl", "traffic.csv", "report.html"].contains(name) { return true }
        guard name.hasPrefix("traffic-host-"), name.hasSuffix(".jsonl") else { return false }
        let host = name.dropFirst("traffic-host-".count).dropLast(".jsonl".count)
        return !host.isEmpty && host.allSatisfy(\.isASCII) && host.allSatisfy(\.isNumber)
    }
}
