import ArgumentParser
import Logging

/// `--log-level` is a `Logger.Level` (trace, debug, info, notice, warning, error, critical): one
/// parser and one message for every command that takes it.
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// A logger writing to stderr at `level`.
public func standardErrorLogger(_ label: String, level: Logger.Level) -> Logger {
  var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
  logger.logLevel = level
  return logger
}
