/// An account's points as expiry lots: each credit is a lot expiring `expiryDays` after its time;
/// debits consume the oldest lots first; a debit larger than the lots leaves a deficit that the
/// next credits pay first.
public struct PointLots: Hashable, Sendable {
  public struct Lot: Hashable, Sendable {
    public var earnedAt: UTCInstant
    public var expiresAt: UTCInstant
    public var remaining: Int64

    public init(earnedAt: UTCInstant, expiresAt: UTCInstant, remaining: Int64) {
      self.earnedAt = earnedAt
      self.expiresAt = expiresAt
      self.remaining = remaining
    }
  }

  /// Open lots, oldest first.
  public private(set) var lots: [Lot]
  /// Points owed: debits the lots could not cover.
  public private(set) var deficit: Int64

  public init(lots: [Lot] = [], deficit: Int64 = 0) {
    self.lots = lots
    self.deficit = deficit
  }

  /// Σ remaining − deficit.
  public var balance: Int64 { lots.reduce(0) { $0 + $1.remaining } - deficit }

  /// Adds a credit: pays the deficit first, the rest becomes a lot.
  public mutating func credit(_ points: Int64, at time: UTCInstant, expiryDays: Int) {
    precondition(points >= 0)
    var left = points
    let paid = min(deficit, left)
    deficit -= paid
    left -= paid
    guard left > 0 else { return }
    let lot = Lot(earnedAt: time, expiresAt: time.adding(days: expiryDays), remaining: left)
    let index = lots.lastIndex { $0.earnedAt <= time }.map { $0 + 1 } ?? 0
    lots.insert(lot, at: index)
  }

  /// Takes `points` from the oldest lots; what they cannot cover becomes deficit.
  public mutating func debit(_ points: Int64) {
    precondition(points >= 0)
    var left = points
    while left > 0, !lots.isEmpty {
      let take = min(left, lots[0].remaining)
      lots[0].remaining -= take
      left -= take
      if lots[0].remaining == 0 { lots.removeFirst() }
    }
    deficit += left
  }

  /// Points in lots that have expired at `time` (expiresAt ≤ time).
  public func expiring(asOf time: UTCInstant) -> Int64 {
    lots.filter { $0.expiresAt <= time }.reduce(0) { $0 + $1.remaining }
  }

  /// Removes the expired lots and returns the points they held.
  public mutating func expire(asOf time: UTCInstant) -> Int64 {
    let expired = expiring(asOf: time)
    lots.removeAll { $0.expiresAt <= time }
    return expired
  }
}
