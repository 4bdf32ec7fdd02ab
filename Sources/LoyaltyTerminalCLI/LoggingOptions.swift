import ArgumentParser
import Logging

/// `--log-level`, for commands that do not take the reader options.
struct LoggingOptions: ParsableArguments {
  @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String = "warning"

  func validate() throws {
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "--log-level \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
    }
  }

  /// A logger writing to stderr at the chosen level.
  func logger(_ label: String = "loyalty-terminal") -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
    return logger
  }
}
