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
}
