/// An account's tier inputs as whole UTC days: for each day with a purchase, the spend (net of
/// refunds) and the visits. Kept for the program's `tierWindowDays` and no longer, so what the tier
/// reads is bounded by the window's days, not by how often the cardholder buys.
///
/// The tier of a program of `format` 2 reads these (`EarnRules.tier(at:of:in:)`); a program of
/// format 1 reads the receipts, as it always did. Every account keeps both, so a chain that
/// publishes format 2 finds its cardholders' days already there.
public struct TierDays: Hashable, Sendable {
  /// One UTC day's purchases.
  public struct Day: Hashable, Sendable {
    /// Days since 1970-01-01 (UTC).
    public var day: Int64
    /// Σ purchase totals − refunds, in minor units (never negative).
    public var spend: Int64
    /// Purchases whose total reached the `minVisitAmount` of the program they were applied under.
    public var visits: Int

    public init(day: Int64, spend: Int64, visits: Int) {
      self.day = day
      self.spend = spend
      self.visits = visits
    }
  }

  /// The days with a purchase, oldest first, no day twice.
  public private(set) var days: [Day] = []

  public init() {}

  /// Days as stored: sorted strictly by day, spend and visits not negative.
  public init(days: [Day]) throws(RuleError) {
    for (i, d) in days.enumerated() {
      guard d.spend >= 0, d.visits >= 0 else {
        throw RuleError(.invalidAmount, "day \(d.day) has a spend of \(d.spend) and \(d.visits) visits")
      }
      guard i == 0 || days[i - 1].day < d.day else {
        throw RuleError(.invalidAmount, "tier days not in order at day \(d.day)")
      }
    }
    self.days = days
  }

  public var isEmpty: Bool { days.isEmpty }

  /// The spend `amount` would add to its day: checked, so a day past Int64.max is an error.
  func spend(adding amount: Int64, on day: Int64) throws(RuleError) -> Int64 {
    let current = index(of: day).map { days[$0].spend } ?? 0
    return try Checked.add(current, max(0, amount), "a day's spend")
  }

  /// Records a purchase of `amount` on `day`; a visit when `visit`. `spend` is what `spend(adding:on:)`
  /// computed (so this cannot fail).
  mutating func record(day: Int64, spend: Int64, visit: Bool) {
    if let i = index(of: day) {
      days[i].spend = spend
      if visit { days[i].visits += 1 }
    } else {
      let at = days.firstIndex { $0.day > day } ?? days.endIndex
      days.insert(Day(day: day, spend: spend, visits: visit ? 1 : 0), at: at)
    }
  }

  /// Takes `amount` refunded from the spend of `day` (a day already dropped is left as it is).
  mutating func refund(_ amount: Int64, on day: Int64) {
    guard amount > 0, let i = index(of: day) else { return }
    days[i].spend = max(0, days[i].spend - amount)
  }

  /// Drops the days before `first`.
  mutating func drop(before first: Int64) {
    guard let oldest = days.first, oldest.day < first else { return }
    days.removeFirst(days.firstIndex { $0.day >= first } ?? days.count)
  }

  /// Spend (saturating: past Int64.max is as good as Int64.max for any threshold) and visits of
  /// the days `first`…`last`.
  public func window(from first: Int64, through last: Int64) -> (spend: Int64, visits: Int) {
    var spend: Int64 = 0
    var visits = 0
    for d in days where d.day >= first && d.day <= last {
      let (sum, overflow) = spend.addingReportingOverflow(d.spend)
      spend = overflow ? .max : sum
      visits += d.visits
    }
    return (spend, visits)
  }

  private func index(of day: Int64) -> Int? {
    // Most purchases land on the newest day.
    if let last = days.last, last.day == day { return days.count - 1 }
    return days.firstIndex { $0.day == day }
  }
}
