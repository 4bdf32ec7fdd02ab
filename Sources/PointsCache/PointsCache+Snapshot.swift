import Foundation
import GRDB
import LoyaltyCore

/// An account as an HQ snapshot gives it.
public struct SnapshotAccount: Sendable {
  public var id: String
  public var enrolledAt: Int64
  public var referrer: String?
  public var referralSettled: Bool
  public var deficit: Int64
  /// (earnedAt, expiresAt, remaining), oldest first.
  public var lots: [(Int64, Int64, Int64)]
  public var cards: [String]
  public var blockedCards: [String]

  public init(
    id: String, enrolledAt: Int64, referrer: String?, referralSettled: Bool, deficit: Int64,
    lots: [(Int64, Int64, Int64)],
    cards: [String], blockedCards: [String]
  ) {
    self.id = id
    self.enrolledAt = enrolledAt
    self.referrer = referrer
    self.referralSettled = referralSettled
    self.deficit = deficit
    self.lots = lots
    self.cards = cards
    self.blockedCards = blockedCards
  }
}

/// A receipt as an HQ snapshot gives it.
public struct SnapshotReceipt: Sendable {
  public var id: String
  public var account: String
  public var at: Int64
  public var amount: Int64
  public var points: Int64
  public var refunded: Int64
  public var reversed: Int64

  public init(id: String, account: String, at: Int64, amount: Int64, points: Int64, refunded: Int64, reversed: Int64) {
    self.id = id
    self.account = account
    self.at = at
    self.amount = amount
    self.points = points
    self.refunded = refunded
    self.reversed = reversed
  }
}

extension PointsCache {
  /// Loads an HQ snapshot into a fresh cache (no accounts, never synced), in one transaction:
  /// program, accounts, cards, lots, receipts, one opening entry per account carrying its balance,
  /// and the checkpoint the sync goes on from.
  public func importSnapshot(
    program: String?, accounts: [SnapshotAccount], receipts: [SnapshotReceipt], checkpoint: String, position: Int64,
    head: String, at: UTCInstant
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
      for a in accounts {
        let balance = a.lots.reduce(0) { $0 + $1.2 } - a.deficit
        try db.cachedExecute(
          sql:
            "INSERT INTO account (id, enrolledAt, referrerAccountId, referralSettled, balance, deficit) VALUES (?, ?, NULL, ?, ?, ?)",
          arguments: [a.id, a.enrolledAt, a.referralSettled, balance, a.deficit])
        for card in a.cards {
          try db.cachedExecute(
            sql: "INSERT INTO card (id, accountId, blocked, linkedAt) VALUES (?, ?, ?, ?)",
            arguments: [card, a.id, a.blockedCards.contains(card), a.enrolledAt])
        }
        for (earned, expires, remaining) in a.lots {
          try db.cachedExecute(
            sql: "INSERT INTO lot (accountId, earnedAt, expiresAt, remaining) VALUES (?, ?, ?, ?)",
            arguments: [a.id, earned, expires, remaining])
        }
        try db.cachedExecute(
          sql: """
            INSERT INTO entry (id, kind, at, terminal, operator, accountId, points, reference, origin, synced)
            VALUES (?, 'adjustment', ?, 'HQ', 'snapshot', ?, ?, ?, 'ledger', 1)
            """, arguments: ["snapshot-\(head.prefix(16))-\(a.id)", at.seconds, a.id, balance, "opening balance"])
      }
      for a in accounts where a.referrer != nil {
        try db.cachedExecute(
          sql: "UPDATE account SET referrerAccountId = ? WHERE id = ? AND EXISTS (SELECT 1 FROM account WHERE id = ?)",
          arguments: [a.referrer, a.id, a.referrer])
      }
      for r in receipts {
        try db.cachedExecute(
          sql:
            "INSERT INTO receipt (id, accountId, at, amount, points, refunded, reversed) VALUES (?, ?, ?, ?, ?, ?, ?)",
          arguments: [r.id, r.account, r.at, r.amount, r.points, r.refunded, r.reversed])
      }
      try db.execute(
        sql: "INSERT INTO checkpoint (id, ledgerPosition, ledgerHash, syncedAt, state) VALUES (1, ?, ?, ?, ?)",
        arguments: [position, head, at.seconds, checkpoint])
    }
  }
}
