import ArgumentParser
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Every command's log lines: standard error, swift-log's stream format, at `--log-level`.
enum CommandLog {
    /// The process's logging system, set up by the first logger asked for (only once is allowed).
    private static let bootstrapped: Void = LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }

    static func logger(_ label: String, level: Logger.Level) -> Logger {
        _ = bootstrapped
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
