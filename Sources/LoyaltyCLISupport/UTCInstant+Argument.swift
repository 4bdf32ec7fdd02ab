import ArgumentParser
import Foundation
import LoyaltyCore

/// Times on the command line (`--at`, `--as-of`, `--from`, `--until`): `YYYY-MM-DDTHH:MM:SSZ`.
///
/// A malformed time is a wrong command line: the parser names the option and the value.
extension UTCInstant: ExpressibleByArgument {
  public init?(argument: String) { self.init(parsing: argument) }

  public static var defaultValueDescription: String { "a UTC time like 2026-11-02T09:15:00Z" }
}

extension UTCInstant {
  /// The current time, to the second.
  public static var now: UTCInstant { UTCInstant(seconds: Int64(Date().timeIntervalSince1970)) }
}
