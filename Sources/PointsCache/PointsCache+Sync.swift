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
    learnt: [Entry], synced ids: Set<String>, checkpoint: String, position: Int64, head: String, at: UTCInstant
  ) throws -> SyncApplication {
    try pool.write { db in
      var applied = 0
      var known = 0
      var refused: [String] = []
      var touched: Set<String> = []
      for e in learnt {
        if try db.cachedOne(Int64.self, sql: "SELECT 1 FROM entry WHERE id = ?", arguments: [e.id]) != nil {
          known += 1
          continue
        }
        switch e.kind {
        case .program:
          guard let json = e.data else { continue }
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
          do {
            // One entry at a time, so one the reducer refuses is skipped alone.
            try db.inSavepoint {
              try record(db, [e], operator: "ledger", origin: .ledger, program: try? program(db))
              return .commit
            }
          } catch let error as RuleError {
            refused.append("entry \(e.id) refused: \(error.message)")
            continue
          }
          if let account = e.account { touched.insert(account) }
          applied += 1
        }
      }
      var marked = 0
      for id in ids {
        try db.cachedExecute(
          sql: "UPDATE entry SET synced = 1 WHERE id = ? AND origin = 'local' AND synced = 0", arguments: [id])
        marked += db.changesCount
      }
      try db.cachedExecute(
        sql: """
          INSERT INTO checkpoint (id, ledgerPosition, ledgerHash, syncedAt, state) VALUES (1, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET ledgerPosition = excluded.ledgerPosition, ledgerHash = excluded.ledgerHash,
            syncedAt = excluded.syncedAt, state = excluded.state
          """, arguments: [position, head, at.seconds, checkpoint])
      var overdrawn: [String: Int64] = [:]
      for account in touched {
        if let balance = try db.cachedOne(
          Int64.self, sql: "SELECT balance FROM account WHERE id = ?", arguments: [account]), balance < 0
        {
          overdrawn[account] = balance
        }
      }
      return SyncApplication(
        applied: applied, alreadyKnown: known, markedSynced: marked, overdrawn: overdrawn, refused: refused)
    }
  }
}
