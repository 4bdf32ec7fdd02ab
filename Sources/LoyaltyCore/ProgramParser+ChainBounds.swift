/// The program's chain-wide bounds as the parser reads them (`CounterLimits+ChainBounds.swift`
/// says what they mean): each bounded, and the referrer bound's two fields given together.
extension ProgramParser {
  /// `limits.maxEarnsPerCardPerDay`: 1 to 10 000 earns of one card in a UTC day.
  static let maxEarnsPerCardPerDayRange: ClosedRange<Int64> = 1...10_000
  /// `referral.maxReferralsPerReferrer`: 1 to 10 000 referrer bonuses in the window.
  static let maxReferralsPerReferrerRange: ClosedRange<Int64> = 1...10_000
  /// `referral.periodDays`: a window of 1 to 366 UTC days (HQ's audit keeps that many days of
  /// referrer bonuses, `AuditReplay.ChainTally`).
  static let referralPeriodDaysRange: ClosedRange<Int64> = 1...366

  /// `referral.maxReferralsPerReferrer` and `referral.periodDays` of the referral object `r`:
  /// both, or neither (nil, also when one is wrong: the walker lists why).
  static func referrerBound(_ r: [String: JSONValue], _ w: DocumentWalker) -> (most: Int, days: Int)? {
    let most = r["maxReferralsPerReferrer"].flatMap {
      w.integer($0, "referral.maxReferralsPerReferrer", in: maxReferralsPerReferrerRange)
    }
    let days = r["periodDays"].flatMap { w.integer($0, "referral.periodDays", in: referralPeriodDaysRange) }
    switch (r["maxReferralsPerReferrer"], r["periodDays"]) {
    case (.some, nil):
      w.problem("referral.periodDays", "is required with maxReferralsPerReferrer (the window it counts in, in days)")
    case (nil, .some):
      w.problem("referral.periodDays", "bounds nothing without maxReferralsPerReferrer")
    default:
      break
    }
    guard let most, let days else { return nil }
    return (Int(most), Int(days))
  }
}
