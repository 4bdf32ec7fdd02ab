/// The program's chain-wide bounds (issue 24): a card's earns in a UTC day at every terminal
/// together (`limits.maxEarnsPerCardPerDay`), and the referrer bonuses one account gets in a window
/// of UTC days (`referral.maxReferralsPerReferrer` in `referral.periodDays`).
///
/// One rule each, decided on counts: the counter's are those its cache knows (the ledger up to its
/// last sync and its own entries since); HQ's audit's are the chain's as admitted so far, in ledger
/// order (`AuditReplay.ChainTally`). The counter can only see fewer than HQ, so an entry it decided
/// honestly offline may still be refused by the audit when other shops' entries of the day took
/// the chain to the bound first: HQ is where the bound holds.
extension CounterLimits {
  /// What the deciding side knows of the counts the chain-wide bounds hold, before this purchase.
  public struct ChainCounts: Hashable, Sendable {
    /// The card's earns on the purchase's UTC day: every terminal's, provisional ones included.
    public var earnsThatDay: Int
    /// The referrer bonuses the referred account's referrer got in the window ending on the
    /// purchase's UTC day (`referrerWindow`).
    public var referrerBonuses: Int

    public init(earnsThatDay: Int = 0, referrerBonuses: Int = 0) {
      self.earnsThatDay = earnsThatDay
      self.referrerBonuses = referrerBonuses
    }
  }

  /// Refuses an earn on `card` on UTC day `day` (days since 1970-01-01) when the card already has
  /// `earnsThatDay` earns that day and the program bounds them to no more. The reason names the
  /// card masked (it is kept in refusal logs and shown at other shops' counters).
  public static func checkDailyEarns(earnsThatDay: Int, card: String, day: Int64, in program: LoyaltyProgram)
    throws(RuleError)
  {
    guard let most = program.limits.maxEarnsPerCardPerDay, earnsThatDay >= most else { return }
    throw RuleError(
      .dailyEarnLimitReached,
      "card \(CardID.masked(card)) already earned \(earnsThatDay) times on \(date(day)) (UTC) across the chain; "
        + "limits.maxEarnsPerCardPerDay is \(most)",
      screenLines: ["Limit of \(most) earns", "a day (all shops)."])
  }

  /// The UTC days of the referrer bound's window that ends on `day`: `day - periodDays + 1 ... day`
  /// (the bonus's own day and the `periodDays - 1` before it); nil when the program sets no bound.
  public static func referrerWindow(endingOn day: Int64, in program: LoyaltyProgram) -> ClosedRange<Int64>? {
    guard let referral = program.referral, referral.maxReferralsPerReferrer != nil, let days = referral.periodDays
    else { return nil }
    return (day - Int64(days) + 1)...day
  }

  /// Refuses a referrer bonus to `referrer` when it already got `bonusesInWindow` referrer
  /// bonuses in `window` (`referrerWindow`) and the program bounds them to no more. The referral
  /// rule then pays the referee's own bonus alone (`Decisions.referralBonuses`).
  public static func checkReferrerBonus(
    bonusesInWindow: Int, referrer: String, window: ClosedRange<Int64>, in program: LoyaltyProgram
  ) throws(RuleError) {
    guard let most = program.referral?.maxReferralsPerReferrer, bonusesInWindow >= most else { return }
    throw RuleError(
      .invalidReferrer,
      "account \(referrer) already got \(bonusesInWindow) referrer bonuses in the \(window.count) UTC days "
        + "\(date(window.lowerBound))…\(date(window.upperBound)); referral.maxReferralsPerReferrer is \(most) in "
        + "referral.periodDays \(window.count) (the referee's own bonus is still paid)")
  }

  /// A UTC day as its date, `2026-11-02`.
  static func date(_ day: Int64) -> String {
    UTCInstant(seconds: day &* 86_400).date
  }
}
