import GRDB
import LoyaltyCore

/// What the cashier reads out after an earn.
public struct EarnReceipt: Sendable, Codable {
  public var receipt: String
  public var card: String
  public var account: String
  public var points: Int64
  public var balance: Int64
  public var tier: String
  public var nextTier: NextTier?
  /// Referral bonuses this purchase triggered: account → points.
  public var referralBonuses: [String: Int64]
}

/// The next tier and what is missing to reach it (either condition is enough).
public struct NextTier: Sendable, Codable, Hashable {
  public var name: String
  public var spendNeeded: Int64?
  public var visitsNeeded: Int?

  public init(name: String, spendNeeded: Int64?, visitsNeeded: Int?) {
    self.name = name
    self.spendNeeded = spendNeeded
    self.visitsNeeded = visitsNeeded
  }
}

extension PointsCache {
  /// Enrols `card`. Its account id derives from the card, so enrolling it at two terminals offline
  /// yields one account. A referrer must be a known, unblocked card of another account.
  public func enroll(card: String, referrer: String?, context c: OperationContext) throws -> String {
    try Identities.validateCard(card)
    return try pool.write { db in
      _ = try program(db)
      if let existing = try db.cachedOne(CardRecord.self, sql: "SELECT * FROM card WHERE id = ?", arguments: [card]) {
        throw RuleError(.alreadyEnrolled, "card \(card) is already enrolled (account \(existing.accountId))")
      }
      let accountId = Identities.accountID(enrolledWith: card)
      var referrerAccount: String?
      if let referrer {
        let r = try activeCard(db, referrer)
        guard r.accountId != accountId else { throw RuleError(.invalidReferrer, "a card cannot refer its own account") }
        referrerAccount = r.accountId
      }
      if try db.cachedOne(AccountRecord.self, sql: "SELECT * FROM account WHERE id = ?", arguments: [accountId]) == nil
      {
        try AccountRecord(
          id: accountId, enrolledAt: c.at.seconds, referrerAccountId: referrerAccount, referralSettled: false,
          balance: 0, deficit: 0
        ).insert(db)
      }
      try CardRecord(id: card, accountId: accountId, blocked: false, linkedAt: c.at.seconds).insert(db)
      _ = try insertEntry(
        db, id: Identities.enrollmentEntryID(account: accountId), kind: "enroll", c, account: accountId, card: card,
        reference: referrerAccount)
      try audit(
        db, c, "enroll", subject: card,
        detail: referrer.map { "account \(accountId), referred by \($0)" } ?? "account \(accountId)")
      return accountId
    }
  }

  /// Records a purchase: points by the program's rules, durable before it returns.
  public func earn(card: String, lines: [PurchaseLine], receipt: String?, context c: OperationContext) throws
    -> EarnReceipt
  {
    guard !lines.isEmpty else { throw RuleError(.invalidAmount, "a purchase needs at least one line") }
    for line in lines where line.amount < 0 {
      throw RuleError(.invalidAmount, "line \(line.category): amount \(line.amount) is negative")
    }
    return try pool.write { db in
      let program = try program(db)
      let cardRecord = try activeCard(db, card)
      try checkTap(db, card: card, context: c, program: program)
      let earnsThisHour =
        try db.cachedOne(
          Int.self,
          sql: "SELECT COUNT(*) FROM entry WHERE card = ? AND terminal = ? AND kind = 'earn' AND at > ? AND at <= ?",
          arguments: [card, c.terminal, c.at.seconds - 3600, c.at.seconds]) ?? 0
      try CounterLimits.checkVelocity(earnsInTrailingHour: earnsThisHour, card: card, in: program)

      var total: Int64 = 0
      for line in lines {
        let (sum, overflow) = total.addingReportingOverflow(line.amount)
        guard !overflow else { throw RuleError(.overflow, "the basket's total overflows") }
        total = sum
      }
      let receiptId: String
      if let receipt {
        receiptId = receipt
      } else {
        let seq = (try db.cachedOne(Int64.self, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM entry")) ?? 1
        receiptId = "\(c.terminal)-\(c.at.seconds)-\(seq)"
      }
      if try db.cachedOne(Int64.self, sql: "SELECT 1 FROM receipt WHERE id = ?", arguments: [receiptId]) != nil {
        throw RuleError(.duplicateReceipt, "receipt \(receiptId) is already recorded")
      }
      let accountId = cardRecord.accountId
      let history = try history(db, account: accountId, before: c.at, program: program)
      let tier = EarnRules.tier(at: c.at, history: history, in: program).tier
      let points = try EarnRules.points(for: lines, at: c.at, tier: tier, in: program)

      _ = try insertEntry(
        db, id: "earn-\(receiptId)", kind: "earn", c, account: accountId, card: card, points: points, amount: total,
        currency: program.currency, receipt: receiptId)
      try ReceiptRecord(
        id: receiptId, accountId: accountId, at: c.at.seconds, amount: total, points: points, refunded: 0, reversed: 0
      )
      .insert(db)
      var account = try apply(db, points: points, to: accountId, at: c.at, program: program)

      var bonuses: [String: Int64] = [:]
      if let referral = program.referral, let referrer = account.referrerAccountId, !account.referralSettled,
        total >= referral.minFirstPurchase
      {
        for (beneficiary, bonus, forReferrer) in [
          (referrer, referral.referrerPoints, true), (accountId, referral.refereePoints, false),
        ] {
          let id = Identities.referralBonusID(refereeAccount: accountId, forReferrer: forReferrer)
          guard try db.cachedOne(EntryRecord.self, sql: "SELECT * FROM entry WHERE id = ?", arguments: [id]) == nil
          else {
            continue
          }
          _ = try insertEntry(
            db, id: id, kind: "referralBonus", c, account: beneficiary, card: nil, points: bonus, reference: accountId)
          _ = try apply(db, points: bonus, to: beneficiary, at: c.at, program: program)
          bonuses[beneficiary] = bonus
        }
        account = try self.account(db, accountId)
        account.referralSettled = true
        try account.update(db)
      }
      let standing = EarnRules.tier(
        at: c.at.adding(seconds: 1), history: history + [PurchaseFact(at: c.at, amount: total, refunded: 0)],
        in: program)
      try audit(db, c, "earn", subject: card, detail: "receipt \(receiptId), amount \(total), points \(points)")
      return EarnReceipt(
        receipt: receiptId, card: card, account: accountId, points: points, balance: account.balance,
        tier: standing.tier.name,
        nextTier: Self.nextTier(after: standing, in: program), referralBonuses: bonuses)
    }
  }

  /// Redeems a catalogue item against the balance the terminal knows, within the daily cap.
  public func redeem(card: String, item itemId: String, context c: OperationContext) throws -> (
    points: Int64, balance: Int64
  ) {
    try pool.write { db in
      let program = try program(db)
      let cardRecord = try activeCard(db, card)
      guard let item = program.item(itemId) else {
        throw RuleError(
          .unknownItem, "no catalogue item \"\(itemId)\" (have: \(program.catalogue.map(\.id).joined(separator: ", ")))"
        )
      }
      let account = try account(db, cardRecord.accountId)
      let dayStart = c.at.day * 86_400
      let today =
        try db.cachedOne(
          Int64.self,
          sql:
            "SELECT COALESCE(-SUM(points), 0) FROM entry WHERE card = ? AND terminal = ? AND kind = 'redeem' AND at >= ? AND at < ?",
          arguments: [card, c.terminal, dayStart, dayStart + 86_400]) ?? 0
      try CounterLimits.checkRedemption(
        item: item, balance: account.balance, redeemedTodayHere: today, card: card, in: program)
      let seq = (try db.cachedOne(Int64.self, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM entry")) ?? 1
      _ = try insertEntry(
        db, id: "redeem-\(c.terminal)-\(c.at.seconds)-\(seq)", kind: "redeem", c, account: account.id, card: card,
        points: -item.points,
        item: item.id)
      let after = try apply(db, points: -item.points, to: account.id, at: c.at, program: program)
      try audit(db, c, "redeem", subject: card, detail: "\(item.id) for \(item.points) points")
      return (item.points, after.balance)
    }
  }

  /// Refunds `amount` of a receipt: reverses its points in proportion, never more than it earned.
  public func refund(receipt receiptId: String, amount: Int64, context c: OperationContext) throws -> (
    reversed: Int64, balance: Int64
  ) {
    try pool.write { db in
      let program = try program(db)
      guard
        var receipt = try db.cachedOne(
          ReceiptRecord.self, sql: "SELECT * FROM receipt WHERE id = ?", arguments: [receiptId])
      else {
        throw RuleError(.unknownReceipt, "receipt \(receiptId) is not known here; a refund needs its receipt")
      }
      let reversal = try EarnRules.reversal(
        refund: amount, receiptAmount: receipt.amount, receiptPoints: receipt.points, refundedBefore: receipt.refunded,
        reversedBefore: receipt.reversed)
      let n =
        (try db.cachedOne(
          Int.self, sql: "SELECT COUNT(*) FROM entry WHERE kind = 'reversal' AND receipt = ?", arguments: [receiptId]))
        ?? 0
      _ = try insertEntry(
        db, id: "reversal-\(receiptId)-\(n + 1)", kind: "reversal", c, account: receipt.accountId, card: nil,
        points: -reversal,
        amount: amount, currency: program.currency, receipt: receiptId, reference: "earn-\(receiptId)")
      receipt.refunded += amount
      receipt.reversed += reversal
      try receipt.update(db)
      let account = try apply(db, points: -reversal, to: receipt.accountId, at: c.at, program: program)
      try audit(db, c, "refund", subject: receiptId, detail: "amount \(amount), reversed \(reversal) points")
      return (reversal, account.balance)
    }
  }

  /// Debounce: a repeated tap of the same card here within debounceSeconds is ignored.
  func checkTap(_ db: Database, card: String, context c: OperationContext, program: LoyaltyProgram) throws {
    let last = try db.cachedOne(
      Int64.self, sql: "SELECT at FROM tap WHERE card = ? AND terminal = ?", arguments: [card, c.terminal])
    if CounterLimits.isDebounced(lastTap: last.map(UTCInstant.init(seconds:)), now: c.at, in: program) {
      throw RuleError(
        .debounced, "card \(card) was tapped here less than \(program.limits.debounceSeconds) s ago; ignored")
    }
    try db.cachedExecute(
      sql:
        "INSERT INTO tap (card, terminal, at) VALUES (?, ?, ?) ON CONFLICT (card, terminal) DO UPDATE SET at = excluded.at",
      arguments: [card, c.terminal, c.at.seconds])
  }

  /// The account's purchases the terminal knows, before `t`, within the tier window.
  func history(_ db: Database, account: String, before t: UTCInstant, program: LoyaltyProgram) throws -> [PurchaseFact]
  {
    let start = t.adding(days: -program.tierWindowDays).seconds
    return try db.cachedRows(
      sql: "SELECT at, amount, refunded FROM receipt WHERE accountId = ? AND at > ? AND at < ?",
      arguments: [account, start, t.seconds]
    ).map { PurchaseFact(at: UTCInstant(seconds: $0["at"]), amount: $0["amount"], refunded: $0["refunded"]) }
  }

  static func nextTier(
    after standing: (tier: LoyaltyProgram.Tier, spend: Int64, visits: Int), in program: LoyaltyProgram
  ) -> NextTier? {
    guard let index = program.tiers.firstIndex(of: standing.tier), index + 1 < program.tiers.count else { return nil }
    let next = program.tiers[index + 1]
    return NextTier(
      name: next.name, spendNeeded: next.minSpend.map { max(0, $0 - standing.spend) },
      visitsNeeded: next.minVisits.map { max(0, $0 - standing.visits) })
  }
}
