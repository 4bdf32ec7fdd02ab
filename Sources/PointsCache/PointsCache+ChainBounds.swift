import GRDB
import LoyaltyCore

extension PointsCache {
  /// The counts the program's chain-wide bounds hold (`CounterLimits+ChainBounds.swift`), as this
  /// cache knows them: the ledger up to its last sync and its own entries since, every terminal's.
  /// HQ's audit holds the bounds on the whole chain, which may have reached one since the sync.
  ///
  /// - the card's earns on the UTC day of `at` (provisional ones included: they carry the card);
  /// - when the account was referred and its referral is not settled, the referrer bonuses its
  ///   referrer got in the window ending that day (a referrer bonus is on the referrer's account,
  ///   its `reference` the referee's; the referrer's own referee bonus has its own account there).
  func chainCounts(
    _ db: Database, card: String, account: AccountState?, program: LoyaltyProgram, at: UTCInstant
  ) throws -> CounterLimits.ChainCounts {
    var counts = CounterLimits.ChainCounts()
    if program.limits.maxEarnsPerCardPerDay != nil {
      let dayStart = at.day * 86_400
      counts.earnsThatDay =
        try db.cachedOne(
          Int.self, sql: "SELECT COUNT(*) FROM entry WHERE card = ? AND kind = ? AND at >= ? AND at < ?",
          arguments: [card, Entry.Kind.earn, dayStart, dayStart + 86_400]) ?? 0
    }
    if let account, let referrer = account.referrer, !account.referralSettled,
      let window = CounterLimits.referrerWindow(endingOn: at.day, in: program)
    {
      counts.referrerBonuses =
        try db.cachedOne(
          Int.self,
          sql: """
            SELECT COUNT(*) FROM entry
            WHERE accountId = ?1 AND kind = ?2 AND reference IS NOT ?1 AND at >= ?3 AND at < ?4
            """,
          arguments: [referrer, Entry.Kind.referralBonus, window.lowerBound * 86_400, (window.upperBound + 1) * 86_400]
        ) ?? 0
    }
    return counts
  }
}
