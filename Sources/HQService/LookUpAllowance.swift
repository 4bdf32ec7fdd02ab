import Synchronization

/// How many cards each terminal may look up (`GET /v1/account`): a bucket per terminal that holds
/// at most `perMinute` look-ups and refills at `perMinute` a minute, on HQ's clock. An honest
/// counter asks for the few cards a day it does not hold; a terminal key used to read customers'
/// accounts by guessing card numbers gets `perMinute` answers a minute, and the rest are refused
/// (429) until its bucket refills. A value: `take` is the whole decision, tested on its own.
public struct LookUpAllowance: Sendable {
  public let perMinute: Int
  /// Each terminal's look-ups left, in 60ths (one look-up = 60 units: a second refills
  /// `perMinute` units), and when it was last filled (seconds on HQ's clock).
  private var buckets: [String: (units: Int64, at: Int64)] = [:]

  public init(perMinute: Int) { self.perMinute = max(1, perMinute) }

  /// Takes one look-up for `terminal` at `now` (seconds): nil when allowed, else the seconds until
  /// the next one is.
  public mutating func take(_ terminal: String, now: Int64) -> Int64? {
    let full = Int64(perMinute) * 60
    var bucket = buckets[terminal] ?? (full, now)
    // A clock that went back refills nothing; a long pause fills the bucket at most.
    let elapsed = max(0, now - bucket.at)
    bucket.units = min(full, bucket.units + min(elapsed, 3600) * Int64(perMinute))
    bucket.at = max(bucket.at, now)
    defer { buckets[terminal] = bucket }
    guard bucket.units >= 60 else {
      // Whole seconds until 60 units are back (at least one).
      return max(1, (60 - bucket.units + Int64(perMinute) - 1) / Int64(perMinute))
    }
    bucket.units -= 60
    return nil
  }
}

/// `LookUpAllowance` shared by the service's request handlers.
final class LookUpAllowances: Sendable {
  private let allowance: Mutex<LookUpAllowance>
  init(perMinute: Int) { allowance = Mutex(LookUpAllowance(perMinute: perMinute)) }
  var perMinute: Int { allowance.withLock { $0.perMinute } }
  func take(_ terminal: String, now: Int64) -> Int64? { allowance.withLock { $0.take(terminal, now: now) } }
}
