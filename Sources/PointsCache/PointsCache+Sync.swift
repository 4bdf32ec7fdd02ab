import Foundation
import GRDB
import LoyaltyCore

/// What applying a sync did to the cache.
public struct SyncApplication: Sendable {
  public var applied: Int
  public var alreadyKnown: Int
  public var markedSynced: Int
  /// Accounts left overdrawn (offline redemptions at several terminals): account → balance.
  public var overdrawn: [String: Int64]
  /// Learnt entries the reducer refused (an overflowing balance): skipped here as by every
  /// reader of the ledger, with the reason.
  public var refused: [String]
  /// Accounts rebuilt without this terminal's entries HQ refused.
  public var rebuilt: Int
}

extension PointsCache {
  /// The sync checkpoint (the ledger verifier's state, as JSON), or nil before the first sync.
  public func syncCheckpoint() throws -> String? {
    try pool.read { db in try String.fetchOne(db, sql: "SELECT state FROM checkpoint WHERE id = 1") }
  }

  /// In one transaction: applies what the ledger taught (skipping entries already known, such as
  /// this terminal's own or a referral bonus it awarded too), marks the outbox entries the ledger
  /// now holds as synced, and moves the checkpoint.
  public func applySync(
    learnt: [Entry], synced ids: Set<String>, refusedByHQ: [(id: String, reason: String)] = [], checkpoint: String,
    position: Int64, lastSeq: Int64 = 0, registered: Bool = true, head: String, at: UTCInstant
  ) throws -> SyncApplication {
    try pool.write { db in
      var applied = 0
      var known = 0
      var refused: [String] = []
      var seen: Set<String> = []
      var accountEntries: [Entry] = []
      for e in learnt {
        let stored = try db.cachedOne(Int64.self, sql: "SELECT 1 FROM entry WHERE id = ?", arguments: [e.id]) != nil
        if !seen.insert(e.id).inserted || stored {
          known += 1
          continue
        }
        switch e.kind {
        case .program:
          guard let json = e.data else { continue }
          // Entries before it were decided under the program in force then.
          try apply(db, accountEntries, refused: &refused, applied: &applied)
          accountEntries = []
          let program = try ProgramParser.parse(Data(json.utf8))
          try db.cachedExecute(
            sql: "INSERT OR REPLACE INTO program (id, version, json, loadedAt) VALUES (1, ?, ?, ?)",
            arguments: [program.version, json, e.at.seconds])
          applied += 1
        case .terminalRegister, .terminalRevoke:
          applied += 1  // learnt; the ledger's own business, nothing a counter keeps
        case .seal:
          continue
        case .enroll, .link, .block, .earn, .redeem, .reversal, .referralBonus, .adjustment, .expiry:
          accountEntries.append(e)
        }
      }
      let touched = try apply(db, accountEntries, refused: &refused, applied: &applied)
      var marked = 0
      for id in ids {
        try db.cachedExecute(
          sql: "UPDATE entry SET synced = 1 WHERE id = ? AND origin = 'local' AND synced = 0", arguments: [id])
        marked += db.changesCount
      }
      // This terminal's entries HQ refused: kept with the reason, out of the outbox, and their
      // accounts rebuilt without them (never retried blindly, never marked synced).
      var rebuild: Set<String> = []
      for (id, reason) in refusedByHQ {
        if let account = try db.cachedOne(
          String.self, sql: "SELECT accountId FROM entry WHERE id = ? AND origin = 'local' AND synced = 0",
          arguments: [id])
        {
          try db.cachedExecute(
            sql: "UPDATE entry SET refused = ? WHERE id = ? AND origin = 'local'",
            arguments: ["refused by HQ: \(reason)", id])
          rebuild.insert(account)
        }
      }
      var set = CacheWorkingSet()
      let expiryDays = (try? program(db))?.expiryDays ?? 365
      for account in rebuild.sorted() { try set.rebuild(db, account: account, expiryDays: expiryDays) }
      try set.store(db)
      try db.cachedExecute(
        sql: """
          INSERT INTO checkpoint (id, ledgerPosition, ledgerHash, syncedAt, state, lastSeq, registered)
          VALUES (1, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET ledgerPosition = excluded.ledgerPosition, ledgerHash = excluded.ledgerHash,
            syncedAt = excluded.syncedAt, state = excluded.state, lastSeq = excluded.lastSeq,
            registered = excluded.registered
          """, arguments: [position, head, at.seconds, checkpoint, lastSeq, registered])
      var overdrawn: [String: Int64] = [:]
      for (account, state) in touched where state.balance < 0 { overdrawn[account] = state.balance }
      return SyncApplication(
        applied: applied, alreadyKnown: known, markedSynced: marked, overdrawn: overdrawn, refused: refused,
        rebuilt: rebuild.count)
    }
  }

  /// Applies learnt account entries in one working set (each account loaded and written once);
  /// the reducer's refusals are listed, not applied. Returns the touched accounts.
  @discardableResult
  private func apply(_ db: Database, _ entries: [Entry], refused: inout [String], applied: inout Int) throws
    -> [String: AccountState]
  {
    guard !entries.isEmpty else { return [:] }
    var refusals: [String] = []
    let set = try record(
      db, entries, operator: "ledger", origin: .ledger, program: try? program(db),
      refusing: { entry, error in refusals.append("entry \(entry.id) refused: \(error.message)") })
    refused += refusals
    applied += entries.count - refusals.count
    return set.states
  }
}
