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

  /// This terminal's receipt `id` as the account holding it knows it (`receipt_index` says
  /// which), or nil.
  static func receipt(_ db: Database, id: String) throws -> Receipt? {
    guard let account = try ReceiptIndex.holder(db, id: id) else { return nil }
    return try CacheWorkingSet.load(db, account: account)?.receipts[id]
  }

  /// The receipt a refund names (`ReceiptIndex`): with the customer's `card`, in that card's
  /// account only, this counter's receipts and another's alike; without one, this terminal's own
  /// receipt by the index. Otherwise the refusal saying why, and what to do.
  func refundable(_ db: Database, id: String, card: String?, terminal: String) throws -> Receipt {
    guard let card else {
      guard let receipt = try Self.receipt(db, id: id) else {
        throw Decisions.unknownReceipt(id, foreign: !id.hasPrefix(terminal + "/"))
      }
      return receipt
    }
    try Identities.validateCard(card)
    guard let account = try CardIndex.facts(db, card: card)?.account,
      let state = try CacheWorkingSet.load(db, account: account)
    else { throw Decisions.receiptOfCardNotHeld(id, card: card) }
    if let receipt = state.receipts[id] { return receipt }
    // A region's counter holds of an account it does not hold only what it recorded itself.
    if try Self.isUnheld(db, account: account, terminal: terminal, program: program(db)) {
      throw Decisions.receiptOfCardNotHeld(id, card: card)
    }
    throw Decisions.unknownReceipt(id, card: card)
  }
}
