import Logging

extension Logger {
    /// Drops every line: the default of the library's drivers, whose callers decide where lines go
    /// (the CLI hands them a logger at `--log-level` on standard error).
    public static var silent: Logger { Logger(label: "switchyard", factory: { _ in SwiftLogNoOpLogHandler() }) }
}
