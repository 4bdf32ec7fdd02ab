import Foundation
import GRDB

extension CacheSchema {
  /// `v16-state-without-id`: a row's states no longer repeat the id its key holds
  /// (`StoredState`), about 30 bytes of a state's 180. Ten thousand rows at a time, by rowid, so
  /// memory stays flat however many accounts the replica holds.
  static func detachStateIDs(_ db: Database) throws {
    var last: Int64 = 0
    while true {
      let rows = try Row.fetchAll(
        db, sql: "SELECT rowid, id, state, working FROM account WHERE rowid > ? ORDER BY rowid LIMIT 10000",
        arguments: [last])
      guard let end = rows.last?["rowid"] as Int64? else { return }
      last = end
      for row in rows {
        let id: String = row["id"]
        let state = (row["state"] as Data?).map { StoredState.value($0, id: id) }
        let working = (row["working"] as Data?).map { StoredState.value($0, id: id) }
        guard state != row["state"] || working != row["working"] else { continue }
        try db.execute(
          sql: "UPDATE account SET state = ?, working = ? WHERE rowid = ?",
          arguments: [state, working, row["rowid"] as Int64])
      }
    }
  }
}
