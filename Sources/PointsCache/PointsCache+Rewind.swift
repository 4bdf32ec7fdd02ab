import Foundation
import GRDB
import LoyaltyCore

/// What going back to an earlier sync did.
public struct CacheRewind: Sendable {
  /// The ledger position (last seq) the cache went back to.
  public var lastSeq: Int64
  /// The position it was at.
  public var fromSeq: Int64
  /// This terminal's entries read back since, in the outbox again.
  public var resent: Int
  /// Entries learnt from the ledger since, forgotten (the ledger teaches them again).
  public var forgotten: Int
  /// A replica of states: its epoch dropped, the next sync brings every account's state.
  public var replica = false
}

/// The cache cannot go back to where HQ's restored ledger is.
public struct CacheRewindError: Error, CustomStringConvertible, Sendable {
  public var description: String
  init(_ description: String) { self.description = description }
}

extension PointsCache {
  /// Stamps what this sync brought in with its position and keeps the position in the history
  /// (the last 400 syncs): the points a restore of HQ's ledger can send the cache back to.
  func recordHistory(_ db: Database, position: SyncPosition, at: UTCInstant) throws {
    try db.cachedExecute(
      sql: "UPDATE entry SET syncedIn = ? WHERE syncedIn IS NULL AND (origin = 'ledger' OR synced = 1)",
      arguments: [position.lastSeq])
    let program = try String.fetchOne(db, sql: "SELECT json FROM program WHERE id = 1")
    try db.cachedExecute(
      sql: """
        INSERT OR REPLACE INTO sync_history (lastSeq, ledgerPosition, ledgerHash, state, program, syncedAt)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
      arguments: [position.lastSeq, position.offset, position.head, position.state, program, at.seconds])
    try db.cachedExecute(
      sql: """
        DELETE FROM sync_history WHERE lastSeq < (SELECT lastSeq FROM sync_history ORDER BY lastSeq DESC LIMIT 1
          OFFSET 399)
        """)
  }

  /// Goes back to the latest sync that ended at or before `seq` (where HQ's restored ledger still
  /// has the history this cache read), in one transaction: entries learnt from the ledger since are
  /// forgotten, this terminal's entries read back since go back to the outbox, the accounts they
  /// touched are rebuilt from what remains, and the program and checkpoint are that sync's. This
  /// terminal's entries HQ refused stay refused (the `refusal` table is not touched: HQ's admission
  /// never wrote them, so no restore brings them back), even when their account is forgotten.
  public func rewind(toAtMost seq: Int64, at time: UTCInstant) throws -> CacheRewind {
    try pool.write { db in
      let row = try Row.fetchOne(
        db, sql: "SELECT * FROM sync_history WHERE lastSeq <= ? ORDER BY lastSeq DESC LIMIT 1", arguments: [seq])
      // No sync that early: a cache that started empty goes back to the start (it reads the whole
      // ledger again); one that started from a snapshot past the restore cannot.
      // (A replica of states goes back to its start instead: the next sync brings every state.)
      if row == nil, try !Self.isReplica(db),
        try Int.fetchOne(db, sql: "SELECT 1 FROM entry WHERE operator = 'snapshot' LIMIT 1") != nil
      {
        throw CacheRewindError(
          "HQ's ledger was restored to seq \(seq), before the snapshot this cache started from: start the counter "
            + "again from a new cache and a new HQ snapshot (sync --snapshot); nothing changed")
      }
      let point: Int64 = row?["lastSeq"] ?? 0
      let from = try Int64.fetchOne(db, sql: "SELECT lastSeq FROM checkpoint WHERE id = 1") ?? point
      // A replica of states: its rows stay as they are (HQ's last states with this terminal's
      // entries), its epoch is dropped so the sync that follows brings every state afresh — the
      // restored ledger's, with the entries sent again on top.
      let replica = try Self.isReplica(db)
      if replica { try db.execute(sql: "DELETE FROM replica_epoch") }
      let touched =
        replica
        ? []
        : try String.fetchAll(db, sql: "SELECT DISTINCT accountId FROM entry WHERE syncedIn > ?", arguments: [point])
      try db.execute(sql: "DELETE FROM entry WHERE origin = 'ledger' AND syncedIn > ?", arguments: [point])
      let forgotten = db.changesCount
      try db.execute(
        sql: "UPDATE entry SET synced = 0, syncedIn = NULL WHERE origin = 'local' AND syncedIn > ?", arguments: [point])
      let resent = db.changesCount
      if let program: String = row?["program"] {
        let parsed = try ProgramParser.parse(Data(program.utf8))
        try db.execute(
          sql: "INSERT OR REPLACE INTO program (id, version, json, loadedAt) VALUES (1, ?, ?, ?)",
          arguments: [parsed.version, program, time.seconds])
      }
      var set = CacheWorkingSet()
      let rules = StateRules(try? self.program(db))
      for account in touched { try set.rebuild(db, account: account, rules: rules) }
      try set.store(db)
      // An account none of whose entries remain was learnt after that sync: gone with them.
      for account in touched
      where try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry WHERE accountId = ?", arguments: [account]) == 0 {
        try Self.forget(db, account: account)
      }
      if let row {
        try db.execute(
          sql: """
            UPDATE checkpoint SET ledgerPosition = ?, ledgerHash = ?, state = ?, lastSeq = ?, syncedAt = ? WHERE id = 1
            """,
          arguments: [
            row["ledgerPosition"] as Int64, row["ledgerHash"] as String, row["state"] as String, point, time.seconds,
          ])
      } else {
        // The program stays: the sync that follows at once reads the ledger's again.
        try db.execute(sql: "DELETE FROM checkpoint")
      }
      try db.execute(sql: "DELETE FROM sync_history WHERE lastSeq > ?", arguments: [point])
      try db.execute(
        sql: """
          INSERT INTO audit (at, terminal, operator, action, subject, detail)
          VALUES (?, COALESCE((SELECT terminal FROM owner WHERE id = 1), ''), 'sync', 'rewind', ?, ?)
          """,
        arguments: [
          time.seconds, "seq \(from) → \(point)",
          "HQ's ledger was restored to seq \(seq): \(resent) entries to send again, \(forgotten) learnt entries forgotten",
        ])
      return CacheRewind(lastSeq: point, fromSeq: from, resent: resent, forgotten: forgotten, replica: replica)
    }
  }
}
