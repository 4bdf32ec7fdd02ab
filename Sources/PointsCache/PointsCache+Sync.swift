import Foundation
import GRDB
import LoyaltyCore

/// An entry the terminal learns from the ledger (another terminal's or HQ's).
public struct LearntEntry: Sendable {
  public var id: String
  public var kind: String
  public var at: UTCInstant
  public var terminal: String
  public var account: String?
  public var card: String?
  public var points: Int64
  public var amount: Int64?
  public var currency: String?
  public var receipt: String?
  public var ref: String?
  public var data: String?

  public init(
    id: String, kind: String, at: UTCInstant, terminal: String, account: String?, card: String?, points: Int64,
    amount: Int64?, currency: String?, receipt: String?, ref: String?, data: String?
  ) {
    self.id = id
    self.kind = kind
    self.at = at
    self.terminal = terminal
    self.account = account
    self.card = card
    self.points = points
    self.amount = amount
    self.currency = currency
    self.receipt = receipt
    self.ref = ref
    self.data = data
  }
}

/// What applying a sync did to the cache.
public struct SyncApplication: Sendable {
  public var applied: Int
  public var alreadyKnown: Int
  public var markedSynced: Int
  /// Accounts left overdrawn (offline redemptions at several terminals): account → balance.
  public var overdrawn: [String: Int64]
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
    learnt: [LearntEntry], synced ids: Set<String>, checkpoint: String, position: Int64, head: String, at: UTCInstant
  ) throws -> SyncApplication {
    try pool.write { db in
      var applied = 0
      var known = 0
      var touched: Set<String> = []
      for e in learnt {
        if try db.cachedOne(Int64.self, sql: "SELECT 1 FROM entry WHERE id = ?", arguments: [e.id]) != nil {
          known += 1
          continue
        }
        try apply(db, e)
        if let account = e.account { touched.insert(account) }
        applied += 1
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
      return SyncApplication(applied: applied, alreadyKnown: known, markedSynced: marked, overdrawn: overdrawn)
    }
  }

  /// Applies one learnt entry to accounts, cards, receipts and lots, and journals it.
  func apply(_ db: Database, _ e: LearntEntry) throws {
    let context = OperationContext(terminal: e.terminal, operator: "ledger", at: e.at)
    if e.kind == "program", let json = e.data {
      let program = try ProgramParser.parse(Data(json.utf8))
      try db.cachedExecute(
        sql: "INSERT OR REPLACE INTO program (id, version, json, loadedAt) VALUES (1, ?, ?, ?)",
        arguments: [program.version, json, e.at.seconds])
      return
    }
    guard let accountId = e.account else { return }  // terminal registrations and revocations
    if try db.cachedOne(Int64.self, sql: "SELECT 1 FROM account WHERE id = ?", arguments: [accountId]) == nil {
      try db.cachedExecute(
        sql:
          "INSERT INTO account (id, enrolledAt, referrerAccountId, referralSettled, balance, deficit) VALUES (?, ?, NULL, 0, 0, 0)",
        arguments: [accountId, e.at.seconds])
    }
    if let card = e.card, ["enroll", "link"].contains(e.kind) {
      try db.cachedExecute(
        sql: "INSERT OR IGNORE INTO card (id, accountId, blocked, linkedAt) VALUES (?, ?, 0, ?)",
        arguments: [card, accountId, e.at.seconds])
    }
    if e.kind == "enroll", let referrer = e.ref {
      try db.cachedExecute(
        sql:
          "UPDATE account SET referrerAccountId = ? WHERE id = ? AND referrerAccountId IS NULL AND EXISTS (SELECT 1 FROM account WHERE id = ?)",
        arguments: [referrer, accountId, referrer])
    }
    if e.kind == "block", let card = e.card {
      try db.cachedExecute(sql: "UPDATE card SET blocked = 1 WHERE id = ?", arguments: [card])
    }
    if e.kind == "earn", let receipt = e.receipt, let amount = e.amount {
      try db.cachedExecute(
        sql:
          "INSERT OR IGNORE INTO receipt (id, accountId, at, amount, points, refunded, reversed) VALUES (?, ?, ?, ?, ?, 0, 0)",
        arguments: [receipt, accountId, e.at.seconds, amount, max(0, e.points)])
    }
    if e.kind == "reversal", let receipt = e.receipt, let amount = e.amount {
      try db.cachedExecute(
        sql:
          "UPDATE receipt SET refunded = MIN(amount, refunded + ?), reversed = MIN(points, reversed + ?) WHERE id = ?",
        arguments: [amount, -e.points, receipt])
    }
    if e.kind == "referralBonus", let referee = e.ref {
      try db.cachedExecute(sql: "UPDATE account SET referralSettled = 1 WHERE id = ?", arguments: [referee])
    }
    _ = try insertEntry(
      db, id: e.id, kind: e.kind, context, account: accountId, card: e.card, points: e.points, amount: e.amount,
      currency: e.currency, receipt: e.receipt, item: e.kind == "redeem" ? e.data : nil, reference: e.ref)
    try db.cachedExecute(sql: "UPDATE entry SET origin = 'ledger', synced = 1 WHERE id = ?", arguments: [e.id])
    if e.points != 0 {
      let program = try program(db)
      _ = try apply(db, points: e.points, to: accountId, at: e.at, program: program)
    }
  }
}
