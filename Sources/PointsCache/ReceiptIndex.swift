import GRDB
import LoyaltyCore

/// Which account holds a receipt of this terminal's (`receipt_index`, since
/// `v19-own-receipts`). A refund names its receipt; this terminal's own receipts are found by
/// number alone. Another counter's receipt is in its account's state too (an account keeps its
/// receipts while they are refundable), but a replica of the chain would need an index entry for
/// every refundable receipt of every shop, written account by account at each nightly sync: that
/// receipt is found through its customer's card instead (tapped first at the counter, `--card`
/// on the command line), and at a region's counter the card's tap looks the account up at HQ.
enum ReceiptIndex {
  /// The prefix of this terminal's receipt ids (`T01/`), or nil before the cache belongs to a
  /// terminal (its first sync or recorded operation binds it): then no receipt is its own.
  static func ownPrefix(_ db: Database) throws -> String? {
    try db.cachedOne(String.self, sql: "SELECT terminal FROM owner WHERE id = 1").map { $0 + "/" }
  }

  /// Whether `receipt` is this terminal's: one the index holds while its account keeps it.
  static func isOwn(_ receipt: String, _ ownPrefix: String?) -> Bool {
    ownPrefix.map(receipt.hasPrefix) ?? false
  }

  /// The account the index names for this terminal's receipt `id`, or nil.
  static func holder(_ db: Database, id: String) throws -> String? {
    try db.cachedOne(DatabaseValue.self, sql: "SELECT accountId FROM receipt_index WHERE id = ?", arguments: [id])
      .flatMap(StoredAccountID.id)
  }

  /// Drops the entries of other terminals' receipts (all of them before the cache belongs to a
  /// terminal): the migration to `v19-own-receipts`.
  static func keepOwnOnly(_ db: Database) throws {
    try db.execute(
      sql: """
        DELETE FROM receipt_index WHERE NOT EXISTS (
          SELECT 1 FROM owner WHERE id = 1 AND substr(receipt_index.id, 1, length(owner.terminal) + 1) = owner.terminal || '/')
        """)
  }
}
