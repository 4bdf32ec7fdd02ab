import Foundation
import GRDB
import LoyaltyCore

extension PointsCache {
  /// Loads an HQ snapshot into a fresh cache (no accounts, never synced), in one transaction:
  /// the program, every account's state as its base (cards, lots, receipts), the replica's epoch
  /// at the snapshot's position (its digest computed from the states; HQ signed the snapshot), and
  /// the checkpoint the sync goes on from: the first sync brings the accounts changed since.
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
      // A thousand accounts at a time: memory stays flat however large the chain. Each account's
      // state is its base, as a delta's would be: the snapshot is HQ's epoch at its position.
      let ids = Set(accounts.map(\.id))
      var digest = StateDigest()
      var liability: Int64 = 0
      for start in stride(from: 0, to: accounts.count, by: 1_000) {
        var set = CacheWorkingSet()
        set.alsoWritten = ids
        for a in accounts[start..<min(accounts.count, start + 1_000)] {
          let bytes = AccountStateEncoding.encode(a)
          digest.add(bytes)
          liability = try Self.add(liability, a.balance, a.id)
          set.rebase(a.id, base: a, bytes: Data(bytes), unsynced: [], before: nil, rules: StateRules(expiryDays: 0))
        }
        try set.store(db)
      }
      try db.execute(
        sql: """
          INSERT OR REPLACE INTO replica_epoch (id, seq, digest, accounts, liability, programChecksum, epoch, appliedAt)
          VALUES (1, ?, ?, ?, ?, NULL, '{}', ?)
          """,
        arguments: [lastSeq, Data(digest.bytes), accounts.count, liability, at.seconds])
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
