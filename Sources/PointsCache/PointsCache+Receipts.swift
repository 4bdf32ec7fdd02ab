import GRDB
import LoyaltyCore

extension PointsCache {
  /// The receipt number of a purchase the till gave none: `A` and the sequence its entry will
  /// have in this cache (`A42`, so `T01/A42` on the receipt), short enough to read back at a
  /// refund; the next free number when that one is taken already (a cashier typed `A42`, or a
  /// cache restored from a snapshot numbers its entries afresh).
  func automaticReceipt(_ db: Database, terminal: String) throws -> String {
    var sequence = try db.cachedOne(Int64.self, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM entry") ?? 1
    while true {
      let number = "A\(sequence)"
      let scoped = try Identities.scopedReceipt(number, terminal: terminal)
      let taken =
        try db.cachedOne(
          Int64.self, sql: "SELECT 1 FROM receipt WHERE id = ? UNION ALL SELECT 1 FROM entry WHERE id = ?",
          arguments: [scoped, "earn-" + scoped]) != nil
      if !taken { return number }
      sequence += 1
    }
  }
}
