import CounterFirmware
import Foundation
import LoyaltyCore

/// The system clock.
public struct SystemCounterClock: CounterClock {
  /// Seconds added to the system's time: a counter started "as of" another time keeps ticking
  /// from there (`run --at`).
  public var offset: Int64

  public init(startingAt start: UTCInstant? = nil) {
    offset = start.map { $0.seconds - Int64(time(nil)) } ?? 0
  }

  public var now: UTCInstant { UTCInstant(seconds: Int64(time(nil)) + offset) }
}
