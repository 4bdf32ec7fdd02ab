import LedgerFormat
import LedgerStore
import LoyaltyCore

/// HQ's expiry run: the expiry entries that take every account's lots expired at a cutoff.
public enum LedgerExpiry {
  /// One expiry entry per account with points expired at `cutoff` (the core's decision).
  public static func entries(for fold: LedgerFold, asOf cutoff: UTCInstant) -> [LedgerEntry] {
    fold.accounts.keys.sorted().compactMap { id in
      Decisions.expiry(of: fold.accounts[id]!, asOf: cutoff).map { LedgerEntry($0) }
    }
  }
}
