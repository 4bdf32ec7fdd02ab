import LoyaltyCore

/// HQ's expiry run: the expiry entries that take every account's lots expired at a cutoff.
public enum LedgerExpiry {
  /// One expiry entry per account with points expired at `cutoff` (by the engine's lot rules),
  /// with an id fixed by account and cutoff, so running it twice for one cutoff cannot double.
  public static func entries(for fold: LedgerFold, asOf cutoff: UTCInstant) -> [LedgerEntry] {
    fold.accounts.keys.sorted().compactMap { id -> LedgerEntry? in
      let points = fold.accounts[id]!.lots.expiring(asOf: cutoff)
      guard points > 0 else { return nil }
      return LedgerEntry(
        kind: .expiry, id: "expiry-\(id)-\(cutoff.seconds)", at: cutoff, terminal: "HQ", account: id, points: -points)
    }
  }
}
