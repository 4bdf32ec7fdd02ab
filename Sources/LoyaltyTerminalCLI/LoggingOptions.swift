import ArgumentParser
import Logging
import LoyaltyCLISupport

/// `--log-level`, for commands that do not take the reader options.
struct LoggingOptions: ParsableArguments {
  @Option(help: "Log level on stderr.")
  var logLevel: Logger.Level = .warning

  /// A logger writing to stderr at the chosen level.
  func logger(_ label: String = "loyalty-terminal") -> Logger { standardErrorLogger(label, level: logLevel) }
}
