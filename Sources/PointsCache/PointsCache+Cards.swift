import GRDB
import LoyaltyCore

/// What the counter shows for a card.
public struct CardholderView: Sendable, Codable {
  public var card: String
  public var account: String
  public var blocked: Bool
  public var cards: [String]
  public var balance: Int64
  public var tier: String
  public var spendInWindow: Int64
  public var visitsInWindow: Int
  public var nextTier: NextTier?
}

extension PointsCache {
  /// The cardholder behind `card`: account, tier, balance and what the next tier needs.
  public func identify(card: String, at t: UTCInstant) throws -> CardholderView {
    try pool.read { db in
      let program = try program(db)
      let cardRecord = try self.card(db, card)
      let account = try self.account(db, cardRecord.accountId)
      let cards = try db.cachedAll(
        String.self, sql: "SELECT id FROM card WHERE accountId = ? ORDER BY linkedAt, id", arguments: [account.id])
      let standing = EarnRules.tier(
        at: t, history: try history(db, account: account.id, before: t, program: program), in: program)
      return CardholderView(
        card: card, account: account.id, blocked: cardRecord.blocked, cards: cards, balance: account.balance,
        tier: standing.tier.name, spendInWindow: standing.spend, visitsInWindow: standing.visits,
        nextTier: Self.nextTier(after: standing, in: program))
    }
  }

  /// Blocks a card: refused at the counter from now on; its account stays intact.
  public func block(card: String, context c: OperationContext) throws {
    try pool.write { db in
      _ = try program(db)
      var record = try self.card(db, card)
      guard !record.blocked else { throw RuleError(.blockedCard, "card \(card) is already blocked") }
      record.blocked = true
      try record.update(db)
      _ = try insertEntry(
        db, id: "block-\(card)-\(c.at.seconds)", kind: "block", c, account: record.accountId, card: card)
      try audit(db, c, "block", subject: card, detail: "account \(record.accountId)")
    }
  }

  /// Links a new card to the account of an existing one (a replacement or a second card).
  public func link(card: String, to existing: String, context c: OperationContext) throws -> String {
    try Identities.validateCard(card)
    return try pool.write { db in
      _ = try program(db)
      if let known = try db.cachedOne(CardRecord.self, sql: "SELECT * FROM card WHERE id = ?", arguments: [card]) {
        throw RuleError(.alreadyLinked, "card \(card) already belongs to account \(known.accountId)")
      }
      let target = try self.card(db, existing)
      try CardRecord(id: card, accountId: target.accountId, blocked: false, linkedAt: c.at.seconds).insert(db)
      _ = try insertEntry(
        db, id: "link-\(card)", kind: "link", c, account: target.accountId, card: card, reference: existing)
      try audit(db, c, "link", subject: card, detail: "to account \(target.accountId) of card \(existing)")
      return target.accountId
    }
  }

  /// Every entry of the account behind `card`, oldest first.
  public func history(card: String) throws -> [EntryRecord] {
    try pool.read { db in
      let record = try self.card(db, card)
      return try EntryRecord.filter(EntryRecord.Columns.accountId == record.accountId).order(EntryRecord.Columns.seq)
        .fetchAll(db)
    }
  }
}
