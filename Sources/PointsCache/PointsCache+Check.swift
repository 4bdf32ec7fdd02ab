import GRDB
import LoyaltyCore

extension PointsCache {
  /// The whole replica against the epoch it is at: every state held, hashed afresh, must give the
  /// epoch's digest, count and liability (as the sync checks what a delta changes, in O(changes)).
  /// O(accounts): a check for whoever suspects the file, not for every night. Nil when the states
  /// give the epoch, or when the cache holds no replica yet.
  ///
  /// It finds a row changed outside the sync — a state raised, two accounts' states swapped, one
  /// account's state copied into another's row — unless the epoch's own row was rewritten to
  /// match; the next sync then fails on HQ's signed epoch and changes nothing.
  public func replicaProblem() throws -> String? {
    try pool.read { db in
      guard let epoch = try Self.replicaPosition(db) else { return nil }
      var digest = StateDigest()
      var accounts = 0
      var liability: Int64 = 0
      let rows = try Row.fetchCursor(db, sql: "SELECT id, state FROM account WHERE state IS NOT NULL")
      while let row = try rows.next() {
        let id: String = row["id"]
        let bytes = StoredState.canonical(row["state"], id: id)
        let keys: StateKeys
        do throws(RuleError) { keys = try AccountStateEncoding.keys(bytes) } catch {
          return "account \(id): its state from HQ is damaged (\(error.message))" + Self.takeAfresh
        }
        digest.add(bytes)
        accounts += 1
        liability = try Self.add(liability, keys.balance, id)
      }
      guard accounts == epoch.accounts, liability == epoch.liability, digest.checksum == epoch.digest.checksum
      else {
        return "the states held do not give epoch \(epoch.seq): \(accounts) accounts, \(liability) points, digest "
          + "\(digest.checksum.prefix(12))… where the epoch says \(epoch.accounts), \(epoch.liability), "
          + "\(epoch.digest.checksum.prefix(12))… — a row was changed outside the sync" + Self.takeAfresh
      }
      return nil
    }
  }

  static let takeAfresh =
    ": sync what is in the outbox, then start a new cache and take every state from HQ (a bootstrap)"
}
