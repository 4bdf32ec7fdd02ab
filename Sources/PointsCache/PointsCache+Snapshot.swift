import Foundation
import GRDB
import LoyaltyCore

extension PointsCache {
  /// Loads an HQ snapshot into a fresh cache (no accounts, never synced), in one transaction:
  /// the program, every account's state (cards, lots, receipts), one opening entry per account
  /// carrying its balance, and the checkpoint the sync goes on from.
  public func importSnapshot(
    program: String?, accounts: [AccountState], checkpoint: String, position: Int64, lastSeq: Int64 = 0, head: String,
    at: UTCInstant
  ) throws {
    try pool.write { db in
      guard try String.fetchOne(db, sql: "SELECT state FROM checkpoint WHERE id = 1") == nil,
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") == 0
      else {
        throw RuleError(
          .alreadyEnrolled, "a snapshot can only start a fresh cache (this one has accounts or has synced)")
      }
      if let program {
        let parsed = try ProgramParser.parse(Data(program.utf8))
        try db.execute(
          sql: "INSERT OR REPLACE INTO program (id, version, json, loadedAt) VALUES (1, ?, ?, ?)",
          arguments: [parsed.version, program, at.seconds])
      }
      // An account may be written before its referrer: the references are checked at commit.
      try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
      // A thousand accounts at a time: memory stays flat however large the chain.
      let ids = Set(accounts.map(\.id))
      for start in stride(from: 0, to: accounts.count, by: 1_000) {
        var set = CacheWorkingSet()
        set.alsoWritten = ids
        for a in accounts[start..<min(accounts.count, start + 1_000)] { set.track(a, isNew: true) }
        try set.store(db)
      }
      for a in accounts {
        try db.cachedExecute(
          sql: """
            INSERT INTO entry (id, kind, at, terminal, operator, accountId, points, reference, origin, synced)
            VALUES (?, ?, ?, 'HQ', 'snapshot', ?, ?, ?, ?, 1)
            """,
          arguments: [
            "snapshot-\(head.prefix(16))-\(a.id)", Entry.Kind.adjustment, at.seconds, a.id, a.balance,
            "opening balance",
            EntryRecord.Origin.ledger,
          ])
      }
      try db.execute(
        sql:
          "INSERT INTO checkpoint (id, ledgerPosition, ledgerHash, syncedAt, state, lastSeq) VALUES (1, ?, ?, ?, ?, ?)",
        arguments: [position, head, at.seconds, checkpoint, lastSeq])
      try recordHistory(
        db, position: SyncPosition(state: checkpoint, offset: position, lastSeq: lastSeq, head: head, registered: true),
        at: at)
    }
  }
}
