import GRDB
import LoyaltyCore

/// The counter's operations. Each loads the facts its decision needs, runs the core's decision,
/// journals the entries and applies them with the core's reducer, in one transaction; nothing
/// here decides what an operation means. Each has a blocking form (the command line) and an
/// async one (the counter), both through GRDB's writer.
extension PointsCache {
  /// Enrols `card`; returns its account id.
  public func enroll(card: String, referrer: String?, cardKey: String? = nil, context c: OperationContext) throws
    -> String
  {
    try pool.write { db in try enroll(db, card: card, referrer: referrer, cardKey: cardKey, context: c) }
  }

  /// `cardKey`: the card's public key (`CardProof`, hex) when it can sign, recorded with it.
  func enroll(_ db: Database, card: String, referrer: String?, cardKey: String? = nil, context: OperationContext)
    throws -> String
  {
    let c = try onBasis(db, context)
    let program = try program(db)
    var entry = try Decisions.enroll(
      card: card, known: try cardFacts(db, card),
      referrer: try referrer.map { ($0, try cardFacts(db, $0)) }, context: c)
    entry.data = cardKey
    if let problem = CardProofPolicy.problem(entry, account: nil, program: program, unprovenToday: 0) { throw problem }
    // This counter enrolled the card before and has since stopped holding its account (a terminal
    // in a region, the account not seen there for the region's days): the chain knows the card.
    if try db.cachedOne(Int64.self, sql: "SELECT 1 FROM entry WHERE id = ?", arguments: [entry.id]) != nil {
      throw RuleError.enrolledHereBefore(card: card)
    }
    try record(db, [entry], operator: c.operator, origin: .local, program: program)
    let account = entry.account!
    try audit(
      db, c, "enroll", subject: card,
      detail: referrer.map { "account \(account), referred by \($0)" } ?? "account \(account)")
    return account
  }

  /// Records a purchase: points by the program's rules, durable before it returns. With
  /// `provisional`, a card this cache does not know earns provisionally (on the card's own
  /// account, added to the cardholder's balance at the next sync); without it, it is refused.
  public func earn(
    card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool = false, context c: OperationContext
  ) throws -> EarnReceipt {
    try pool.write { db in
      try earn(db, card: card, lines: lines, receipt: receipt, provisional: provisional, context: c)
    }
  }

  func earn(
    _ db: Database, card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool = false,
    context: OperationContext
  ) throws -> EarnReceipt {
    let c = try onBasis(db, context)
    let program = try program(db)
    var facts = try cardFacts(db, card)
    var provisional = provisional
    // A terminal in a region decides on an account its replica does not hold from HQ (enrolled or
    // linked here since the last sync — perhaps a card another region holds, whose history this
    // counter never saw) as on a card it does not know: provisionally, on the base tier.
    if let known = facts, try Self.isUnheld(db, account: known.account, terminal: c.terminal, program: program) {
      facts = nil
      provisional = true
    }
    let provisionalAccount = facts == nil && provisional ? Identities.accountID(enrolledWith: card) : nil
    let account = try (facts?.account ?? provisionalAccount).flatMap {
      try CacheWorkingSet.load(db, account: $0)
    }
    // Receipts are scoped by their till: T01's R100 is not T02's.
    let receiptID = try Identities.scopedReceipt(
      try receipt ?? automaticReceipt(db, terminal: c.terminal), terminal: c.terminal)
    let lastTap = try db.cachedOne(
      Int64.self, sql: "SELECT at FROM tap WHERE card = ? AND terminal = ?", arguments: [card, c.terminal])
    let earnsThisHour =
      try db.cachedOne(
        Int.self,
        sql: "SELECT COUNT(*) FROM entry WHERE card = ? AND terminal = ? AND kind = ? AND at > ? AND at <= ?",
        arguments: [card, c.terminal, Entry.Kind.earn, c.at.seconds - 3600, c.at.seconds]) ?? 0
    let chain = try chainCounts(db, card: card, account: account, program: program, at: c.at)
    let taken =
      try db.cachedOne(Int64.self, sql: "SELECT 1 FROM receipt_index WHERE id = ?", arguments: [receiptID]) != nil
    var recorded: Set<String> = []
    if let facts {
      // Decided once: a bonus HQ refused (in `refusal`) is not decided again at the next purchase.
      for forReferrer in [true, false] {
        let id = Identities.referralBonusID(refereeAccount: facts.account, forReferrer: forReferrer)
        if try db.cachedOne(
          Int64.self, sql: "SELECT 1 FROM entry WHERE id = ? UNION ALL SELECT 1 FROM refusal WHERE id = ?",
          arguments: [id, id]) != nil
        {
          recorded.insert(id)
        }
      }
    }
    let decision =
      if let provisionalAccount {
        try Decisions.provisionalEarn(
          cardID: card, known: nil, account: account ?? AccountState(id: provisionalAccount), lines: lines,
          receipt: receiptID, receiptTaken: taken, lastTap: lastTap.map(UTCInstant.init(seconds:)),
          earnsInTrailingHour: earnsThisHour, chain: chain, program: program, context: c)
      } else {
        try Decisions.earn(
          card: facts, cardID: card, account: account ?? AccountState(id: facts?.account ?? ""), lines: lines,
          receipt: receiptID, receiptTaken: taken, lastTap: lastTap.map(UTCInstant.init(seconds:)),
          earnsInTrailingHour: earnsThisHour, chain: chain, recordedBonuses: recorded, program: program, context: c)
      }
    var set = CacheWorkingSet()
    if let account { set.track(account, isNew: false) }
    set = try record(db, decision.entries, operator: c.operator, origin: .local, program: program, into: set)
    try db.cachedExecute(
      sql:
        "INSERT INTO tap (card, terminal, at) VALUES (?, ?, ?) ON CONFLICT (card, terminal) DO UPDATE SET at = excluded.at",
      arguments: [card, c.terminal, c.at.seconds])
    let total = lines.reduce(Int64(0)) { $0 + $1.amount }  // the decision checked it fits
    try audit(
      db, c, decision.provisional ? "earn (provisional)" : "earn", subject: card,
      detail: "receipt \(receiptID), amount \(total), points \(decision.points)")
    let after = set.states[decision.entries[0].account!]!
    return decision.readout(card: card, account: after.id, balance: after.balance)
  }

  /// Redeems a catalogue item against the balance the terminal knows, within the daily cap.
  public func redeem(card: String, item: String, proof: CardProof? = nil, context c: OperationContext) throws -> (
    points: Int64, balance: Int64
  ) {
    try pool.write { db in
      let r = try redeem(db, card: card, item: item, proof: proof, context: c)
      return (r.points, r.balance)
    }
  }

  /// Redeems with the card's signature (`proof`), checked by the card-proof rule before anything
  /// is written; a `draft` decides the entry (for the card to sign) without that check.
  func redeem(
    _ db: Database, card: String, item: String, proof: CardProof? = nil, draft: Bool = false,
    context: OperationContext
  ) throws -> (entry: Entry, points: Int64, balance: Int64) {
    let c = try onBasis(db, context)
    let program = try program(db)
    let facts = try cardFacts(db, card)
    // The account's whole state: the core says which of its receipts hold pending points.
    let account = try facts.flatMap { try CacheWorkingSet.load(db, account: $0.account) }
    let dayStart = c.at.day * 86_400
    let today =
      try db.cachedOne(
        Int64.self,
        sql:
          "SELECT COALESCE(-SUM(points), 0) FROM entry WHERE card = ? AND terminal = ? AND kind = ? AND at >= ? AND at < ?",
        arguments: [card, c.terminal, Entry.Kind.redeem, dayStart, dayStart + 86_400]) ?? 0
    // Past every seq recorded here, refused ones too: an id HQ refused is not made again.
    let sequence =
      (try db.cachedOne(
        Int64.self,
        sql: "SELECT MAX(COALESCE((SELECT MAX(seq) FROM entry), 0), COALESCE((SELECT MAX(seq) FROM refusal), 0)) + 1"))
      ?? 1
    var entry = try Decisions.redeem(
      card: facts, cardID: card, account: account ?? AccountState(id: ""), item: item, redeemedTodayHere: today,
      sequence: sequence, program: program, context: c)
    entry.proof = proof?.text
    if !draft {
      let unproven = try unprovenRedeemed(db, account: entry.account ?? "", day: c.at.day)
      if let problem = CardProofPolicy.problem(entry, account: account, program: program, unprovenToday: unproven) {
        throw problem
      }
    }
    var set = CacheWorkingSet()
    if let account { set.track(account, isNew: false) }
    set = try record(db, [entry], operator: c.operator, origin: .local, program: program, into: set)
    let points = -(entry.points ?? 0)
    try audit(db, c, "redeem", subject: card, detail: "\(item) for \(points) points")
    return (entry, points, set.states[entry.account!]!.balance)
  }

  /// Points redeemed from `account` on `day` without a card's signature, by every terminal this
  /// cache knows of (`CardProofPolicy`).
  func unprovenRedeemed(_ db: Database, account: String, day: Int64) throws -> Int64 {
    try db.cachedOne(
      Int64.self,
      sql: """
        SELECT COALESCE(-SUM(points), 0) FROM entry
        WHERE accountId = ? AND kind = ? AND proof IS NULL AND at >= ? AND at < ?
        """,
      arguments: [account, Entry.Kind.redeem, day * 86_400, day * 86_400 + 86_400]) ?? 0
  }

  /// `context` on this cache's basis: the ledger position it last synced to (0 before a sync).
  func onBasis(_ db: Database, _ context: OperationContext) throws -> OperationContext {
    // HQ's audit refuses any other time: better said at the counter than at the night's sync.
    guard Decisions.Bounds.times.contains(context.at) else {
      throw RuleError(.invalidAmount, "the time \(context.at) is outside 2000…2100: check the terminal's clock or --at")
    }
    var c = context
    if let row = try Row.fetchOne(db, sql: "SELECT lastSeq, registered, syncedAt FROM checkpoint WHERE id = 1") {
      // Decided after the last sync (a day's leeway for the clock), as HQ's audit expects.
      if let synced = row["syncedAt"] as Int64?, context.at.seconds < synced - 86_400 {
        throw RuleError(
          .invalidAmount,
          "the time \(context.at) is before this counter's last sync (\(UTCInstant(seconds: synced))): check the "
            + "terminal's clock or --at")
      }
      // A chained cache records only once the ledger it syncs with registers its terminal: an
      // entry decided before that would be refused by HQ's audit at the night's sync.
      guard row["registered"] as Bool else {
        throw RuleError(
          .wrongTerminal,
          "terminal \(context.terminal) is not registered in the ledger this cache last synced with: HQ registers it "
            + "(ledger register-terminal), then sync, then record")
      }
      c.basis = row["lastSeq"]
    }
    return c
  }

  /// Refunds `amount` of a receipt: reverses its points in proportion, never more than it earned.
  /// Another counter's receipt is found through `card`, its customer's (`ReceiptIndex`).
  public func refund(receipt: String, amount: Int64, card: String? = nil, context c: OperationContext) throws -> (
    reversed: Int64, balance: Int64
  ) {
    try pool.write { db in try refund(db, receipt: receipt, amount: amount, card: card, context: c) }
  }

  func refund(
    _ db: Database, receipt number: String, amount: Int64, card: String?, context: OperationContext
  ) throws -> (reversed: Int64, balance: Int64) {
    let c = try onBasis(db, context)
    let id = try Identities.receiptReference(number, terminal: c.terminal)
    let program = try program(db)
    let receipt = try refundable(db, id: id, card: card, terminal: c.terminal)
    // Refused reversals count too: the next one's id is never one HQ refused.
    let earlier =
      try db.cachedOne(
        Int.self,
        sql: """
          SELECT (SELECT COUNT(*) FROM entry WHERE kind = ?1 AND receipt = ?2 AND terminal = ?3)
            + (SELECT COUNT(*) FROM refusal WHERE kind = ?1 AND receipt = ?2 AND terminal = ?3)
          """,
        arguments: [Entry.Kind.reversal, id, c.terminal])
      ?? 0
    let entry = try Decisions.refund(
      receipt: id, receipt: receipt, amount: amount, earlierReversals: earlier, program: program, context: c)
    let set = try record(db, [entry], operator: c.operator, origin: .local, program: program)
    let reversed = -(entry.points ?? 0)
    try audit(db, c, "refund", subject: id, detail: "amount \(amount), reversed \(reversed) points")
    return (reversed, set.states[entry.account!]!.balance)
  }
}
