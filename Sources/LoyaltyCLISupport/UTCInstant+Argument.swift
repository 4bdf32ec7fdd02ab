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
  /// The machine's clock, to the second — read only here, at the command line's edge, as what a
  /// command's `--at`/`--as-of` default to (and what `hq serve` and a sync check times against);
  /// everything below takes the time as an input.
  public static var wallClock: UTCInstant { UTCInstant(seconds: Int64(Date().timeIntervalSince1970)) }
}
