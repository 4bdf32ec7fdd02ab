import GRDB
import LoyaltyCore

extension PointsCache {
  /// The receipt number of a purchase the till gave none: `A` and the count of this terminal's
  /// receipts so far plus one (`A42`, so `T01/A42` on the receipt), numbered without gaps and
  /// short enough to read back at a refund; the next free number when that one is taken already
  /// (a cashier typed `A42`, or HQ refused its earn).
  func automaticReceipt(_ db: Database, terminal: String) throws -> String {
    let prefix = terminal + "/A"
    var sequence =
      (try db.cachedOne(
        Int64.self, sql: "SELECT COUNT(*) FROM receipt_index WHERE id >= ? AND id < ?",
        arguments: [prefix, terminal + "/B"]) ?? 0) + 1
    while true {
      let number = "A\(sequence)"
      let scoped = try Identities.scopedReceipt(number, terminal: terminal)
      let taken =
        try db.cachedOne(
          Int64.self,
          sql: """
            SELECT 1 FROM receipt_index WHERE id = ?1 UNION ALL SELECT 1 FROM entry WHERE id = ?2
            UNION ALL SELECT 1 FROM refusal WHERE id = ?2
            """,
          arguments: [scoped, Identities.earnID(receipt: scoped)]) != nil
      if !taken { return number }
      sequence += 1
    }
  }

  /// A receipt as the account holding it knows it (`ReceiptIndex.holder`: this terminal's by
  /// the index, another's through `card`'s account), or nil.
  static func receipt(_ db: Database, id: String, card: String? = nil) throws -> Receipt? {
    guard let account = try ReceiptIndex.holder(db, id: id, card: card) else { return nil }
    return try CacheWorkingSet.load(db, account: account)?.receipts[id]
  }

  /// The account the receipt index names for receipt `id`, or nil.
  static func receiptHolder(_ db: Database, id: String) throws -> String? {
    try ReceiptIndex.holder(db, id: id, card: nil)
  }
}
