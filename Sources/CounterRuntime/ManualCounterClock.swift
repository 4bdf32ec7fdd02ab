import CounterFirmware
import LoyaltyCore
import Synchronization

/// A clock set by hand: scenarios, the chain simulation and tests move it.
public final class ManualCounterClock: CounterClock {
  let current: Mutex<UTCInstant>

  public init(_ start: UTCInstant) { current = Mutex(start) }

  public var now: UTCInstant { current.withLock { $0 } }
  public func set(_ time: UTCInstant) { current.withLock { $0 = time } }
  public func advance(seconds: Int64) { current.withLock { $0 = $0.adding(seconds: seconds) } }
}
