import Foundation
import GRDB
import LoyaltyCore

/// What applying a sync did to the cache.
public struct SyncApplication: Sendable {
  public var applied: Int
  public var alreadyKnown: Int
  /// This terminal's entries read back from the ledger, now marked synced.
  public var markedSynced: Int
  /// Ids HQ's answer claimed held or appended that the ledger read back does not hold: still in
  /// the outbox (sent again at the next sync).
  public var unconfirmed: [String]
  /// Accounts left overdrawn (offline redemptions at several terminals): account → balance.
  public var overdrawn: [String: Int64]
  /// Learnt entries the reducer refused (an overflowing balance): skipped here as by every
  /// reader of the ledger, with the reason.
  public var refused: [String]
  /// Accounts rebuilt without this terminal's entries HQ refused.
  public var rebuilt: Int
}

/// Where a sync leaves the cache: the ledger verifier's state (JSON) and its position.
public struct SyncPosition: Sendable {
  public var state: String
  public var offset: Int64
  public var lastSeq: Int64
  public var head: String
  /// Whether the ledger registers this terminal with its key (it records nothing until it does).
  public var registered: Bool

  public init(state: String, offset: Int64, lastSeq: Int64, head: String, registered: Bool) {
    self.state = state
    self.offset = offset
    self.lastSeq = lastSeq
    self.head = head
    self.registered = registered
  }
}

extension PointsCache {
  /// The sync checkpoint (the ledger verifier's state, as JSON), or nil before the first sync.
  public func syncCheckpoint() throws -> String? {
    try pool.read { db in try String.fetchOne(db, sql: "SELECT state FROM checkpoint WHERE id = 1") }
  }

  /// In one transaction: applies what the ledger taught (skipping entries already known, such as
  /// this terminal's own or a referral bonus it awarded too), marks synced the outbox entries
  /// read back among them, and moves the checkpoint. `claimed` are the ids HQ's answer says it
  /// holds: those not read back are listed as unconfirmed, never marked.
  public func applySync(
    learnt: [Entry], claimed ids: Set<String>, refusedByHQ: [EntryRefusal] = [], checkpoint: String,
    position: Int64, lastSeq: Int64 = 0, registered: Bool = true, head: String, at: UTCInstant
  ) throws -> SyncApplication {
    try applySync(
      streaming: { emit in
        try emit(learnt)
        return SyncPosition(state: checkpoint, offset: position, lastSeq: lastSeq, head: head, registered: registered)
      }, claimed: ids, refusedByHQ: refusedByHQ, at: at)
  }

  /// `applySync` with the learnt entries streamed in: `learn` hands them over in parts (each
  /// part's accounts are loaded, changed and written, then dropped, so memory stays flat in the
  /// number of entries) and returns the position reached. All in one transaction: a throw
  /// anywhere leaves the cache as it was.
  ///
  /// An outbox entry is marked synced only when the verified ledger hands over an entry of its id
  /// (this terminal's, or the same once-only event another counter recorded first): what HQ's
  /// answer claims (`claimed`) is checked against that, never taken on its word.
  public func applySync(
    streaming learn: (_ emit: ([Entry]) throws -> Void) throws -> SyncPosition, claimed ids: Set<String>,
    refusedByHQ: [EntryRefusal] = [], at: UTCInstant
  ) throws -> SyncApplication {
    try pool.write { db in
      // A larger page cache for this transaction: a night's entries touch index pages all over.
      let pages = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
      try db.execute(sql: "PRAGMA cache_size = -32768")
      defer { try? db.execute(sql: "PRAGMA cache_size = \(pages)") }
      var applied = 0
      var known = 0
      var refused: [String] = []
      var overdrawn: [String: Int64] = [:]
      // First this terminal's entries HQ refused: moved from `entry` to `refusal` with the
      // reason (out of the outbox, never retried blindly, never marked synced), and their
      // accounts rebuilt without them. Before what the ledger teaches: another counter may have
      // decided the same once-only entry (a referral bonus), and the ledger's one is then applied
      // as any other.
      var rebuild: Set<String> = []
      for refusal in refusedByHQ {
        if let account = try RefusalRecord.move(db, id: refusal.id, reason: refusal.reason) { rebuild.insert(account) }
      }
      var set = CacheWorkingSet()
      let expiryDays = LoyaltyProgram.expiryDays(try? program(db))
      for account in rebuild.sorted() { try set.rebuild(db, account: account, expiryDays: expiryDays) }
      try set.store(db)
      for (account, state) in set.states { overdrawn[account] = state.balance < 0 ? state.balance : nil }
      // Whether an id is stored (this terminal's refused entries are not: they are in `refusal`).
      let isStored = try db.makeStatement(sql: "SELECT 1 FROM entry WHERE id = ?")
      // A stored id read back from the ledger: the outbox entry of that id is synced.
      let readBack = try db.makeStatement(
        sql: "UPDATE entry SET synced = 1 WHERE id = ? AND origin = 'local' AND synced = 0")
      var marked = 0
      var markedIDs: Set<String> = []
      let position = try learn { part in
        var seen: Set<String> = []
        var accountEntries: [Entry] = []
        for e in part {
          let stored = try Int.fetchOne(isStored, arguments: [e.id]) != nil
          if stored {
            if e.kind == .enroll { try adopt(db, standing: e) }
            try readBack.execute(arguments: [e.id])
            if db.changesCount > 0 {
              marked += db.changesCount
              markedIDs.insert(e.id)
            }
          }
          if !seen.insert(e.id).inserted || stored {
            known += 1
            continue
          }
          switch e.kind {
          case .program:
            guard let json = e.data else { continue }
            // Entries before it were decided under the program in force then.
            try apply(db, accountEntries, refused: &refused, applied: &applied, overdrawn: &overdrawn)
            accountEntries = []
            let program = try ProgramParser.parse(Data(json.utf8))
            try db.cachedExecute(
              sql: "INSERT OR REPLACE INTO program (id, version, json, loadedAt) VALUES (1, ?, ?, ?)",
              arguments: [program.version, json, e.at.seconds])
            applied += 1
          case .terminalRegister, .terminalRevoke, .restore:
            applied += 1  // learnt; the ledger's own business, nothing a counter keeps
          case .seal:
            continue
          case .enroll, .link, .block, .earn, .redeem, .reversal, .referralBonus, .adjustment, .expiry:
            accountEntries.append(e)
          }
        }
        try apply(db, accountEntries, refused: &refused, applied: &applied, overdrawn: &overdrawn)
      }
      // Claimed but not read back: HQ's ledger does not hold them (an answer altered on the way).
      let unconfirmed = ids.subtracting(markedIDs).sorted()
      for (account, state) in set.states { overdrawn[account] = state.balance < 0 ? state.balance : nil }
      try db.cachedExecute(
        sql: """
          INSERT INTO checkpoint (id, ledgerPosition, ledgerHash, syncedAt, state, lastSeq, registered)
          VALUES (1, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET ledgerPosition = excluded.ledgerPosition, ledgerHash = excluded.ledgerHash,
            syncedAt = excluded.syncedAt, state = excluded.state, lastSeq = excluded.lastSeq,
            registered = excluded.registered
          """,
        arguments: [
          position.offset, position.head, at.seconds, position.state, position.lastSeq, position.registered,
        ])
      try recordHistory(db, position: position, at: at)
      return SyncApplication(
        applied: applied, alreadyKnown: known, markedSynced: marked, unconfirmed: unconfirmed, overdrawn: overdrawn,
        refused: refused, rebuilt: rebuild.count)
    }
  }

  /// A card this cache enrolled that another counter enrolled first: the ledger's enrolment
  /// stands, so this cache takes its referrer (the same referral decisions as every reader).
  private func adopt(_ db: Database, standing e: Entry) throws {
    try db.cachedExecute(
      sql: "UPDATE entry SET reference = ? WHERE id = ? AND origin = 'local' AND reference IS NOT ?",
      arguments: [e.ref, e.id, e.ref])
    guard db.changesCount > 0, let account = e.account else { return }
    // The referrer column references an account row: NULL when this cache holds none.
    try db.cachedExecute(
      sql: "UPDATE account SET referrerAccountId = (SELECT id FROM account WHERE id = ?) WHERE id = ?",
      arguments: [e.ref, account])
  }

  /// Applies learnt account entries in one working set (each account loaded and written once);
  /// the reducer's refusals are listed, not applied. Returns the touched accounts.
  private func apply(
    _ db: Database, _ entries: [Entry], refused: inout [String], applied: inout Int, overdrawn: inout [String: Int64]
  ) throws {
    guard !entries.isEmpty else { return }
    var refusals: [String] = []
    let set = try record(
      db, entries, operator: "ledger", origin: .ledger, program: try? program(db),
      refusing: { entry, error in refusals.append("entry \(entry.id) refused: \(error.message)") })
    refused += refusals
    applied += entries.count - refusals.count
    for (account, state) in set.states { overdrawn[account] = state.balance < 0 ? state.balance : nil }
  }
}
