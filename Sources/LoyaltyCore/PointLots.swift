/// An account's points as expiry lots: each credit is a lot expiring `expiryDays` after its time;
/// debits consume the lots that expire soonest first (the oldest, while `expiryDays` stays the
/// same); a debit larger than the lots leaves a deficit that the next credits pay first. Every sum
/// is checked: an overflow throws and changes nothing.
///
/// Soonest first, not oldest first: after a version shortens `expiryDays`, a newer lot can expire
/// before an older one. HQ's expiry then takes the lot that expired (not an older one still
/// due, which left the expired lot to be expired again at every run), and a redemption or a
/// refund spends the points about to expire before those that last.
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

  /// Open lots, the soonest to expire first (then the oldest).
  public private(set) var lots: [Lot]
  /// Points owed: debits the lots could not cover.
  public private(set) var deficit: Int64
  /// Σ remaining.
  public private(set) var total: Int64

  public init() {
    lots = []
    deficit = 0
    total = 0
  }

  /// Lots as stored (each remaining > 0) and a deficit ≥ 0; their sum must fit.
  public init(lots: [Lot], deficit: Int64) throws(RuleError) {
    guard deficit >= 0 else { throw RuleError(.overflow, "a deficit of \(deficit) points is negative") }
    var total: Int64 = 0
    for lot in lots {
      guard lot.remaining > 0 else { throw RuleError(.overflow, "a lot of \(lot.remaining) points is not positive") }
      total = try Checked.add(total, lot.remaining, "an account's points")
    }
    self.lots = lots
    self.deficit = deficit
    self.total = total
  }

  /// Σ remaining − deficit (both non-negative, so it cannot overflow).
  public var balance: Int64 { total - deficit }

  /// Adds a credit: pays the deficit first, the rest becomes a lot. A `dayLot` (program format 2)
  /// joins the lot of its UTC day, which expires at the end of the day `expiryDays` after it, so an
  /// account holds a lot per day, not per purchase.
  public mutating func credit(
    _ points: Int64, at time: UTCInstant, expiryDays: Int, dayLot: Bool = false
  ) throws(RuleError) {
    guard points >= 0 else { throw RuleError(.invalidAmount, "a credit of \(points) points is negative") }
    let paid = min(deficit, points)
    let left = points - paid
    guard left > 0 else {
      deficit -= paid
      return
    }
    let newTotal = try Checked.add(total, left, "an account's points")
    deficit -= paid
    total = newTotal
    let earned = dayLot ? UTCInstant(seconds: time.day * 86_400) : time
    let lot = Lot(
      earnedAt: earned, expiresAt: earned.adding(days: dayLot ? expiryDays + 1 : expiryDays), remaining: left)
    let index = lots.lastIndex { ($0.expiresAt, $0.earnedAt) <= (lot.expiresAt, earned) }.map { $0 + 1 } ?? 0
    if dayLot, index > 0, lots[index - 1].earnedAt == lot.earnedAt, lots[index - 1].expiresAt == lot.expiresAt {
      lots[index - 1].remaining += left  // ≤ the new total, so it fits
    } else {
      lots.insert(lot, at: index)
    }
  }

  /// Takes `points` from the lots that expire soonest; what they cannot cover becomes deficit.
  public mutating func debit(_ points: UInt64) throws(RuleError) {
    guard let points = Int64(exactly: points) else {
      throw RuleError(.overflow, "a debit of \(points) points does not fit in 64 bits")
    }
    let fromLots = min(points, total)
    let newDeficit = try Checked.add(deficit, points - fromLots, "an account's deficit")
    var left = fromLots
    while left > 0, !lots.isEmpty {
      let take = min(left, lots[0].remaining)
      lots[0].remaining -= take
      left -= take
      if lots[0].remaining == 0 { lots.removeFirst() }
    }
    total -= fromLots
    deficit = newDeficit
  }

  /// Points in lots that have expired at `time` (expiresAt ≤ time).
  public func expiring(asOf time: UTCInstant) -> Int64 {
    // A subset of `total`, so it fits.
    lots.filter { $0.expiresAt <= time }.reduce(0) { $0 + $1.remaining }
  }

  /// Removes the expired lots and returns the points they held.
  public mutating func expire(asOf time: UTCInstant) -> Int64 {
    let expired = expiring(asOf: time)
    lots.removeAll { $0.expiresAt <= time }
    total -= expired
    return expired
  }
}
