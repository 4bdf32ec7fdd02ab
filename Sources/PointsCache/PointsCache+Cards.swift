import GRDB
import LoyaltyCore

extension PointsCache {
  /// The cardholder behind `card`: account, tier, balance and what the next tier needs.
  public func identify(card: String, at t: UTCInstant) throws -> CardholderView {
    try pool.read { db in try identify(db, card: card, at: t) }
  }

  func identify(_ db: Database, card: String, at t: UTCInstant) throws -> CardholderView {
    // Text that is no card is said so, rather than "not enrolled".
    try Identities.validateCard(card)
    let program = try program(db)
    guard let facts = try cardFacts(db, card) else { throw try Self.unknown(db, card: card) }
    guard let account = try CacheWorkingSet.load(db, account: facts.account) else {
      throw RuleError(.unknownAccount, "account \(facts.account) is not in this cache")
    }
    let cards = try CardIndex.cards(db, of: account)
    var view = account.view(card: card, cards: cards, at: t, program: program)
    // A card claimed twice is blocked when either account has it blocked (`CardClaim`).
    view.blocked = view.blocked || facts.blocked
    return view
  }

  /// A card this cache does not know, in words: a stand-alone counter's is not enrolled; a
  /// counter in a chain knows the cards of its replica, and another shop's may be enrolled.
  static func unknown(_ db: Database, card: String) throws -> RuleError {
    guard try isReplica(db) else { return RuleError(.unknownCard, "card \(card) is not enrolled") }
    return RuleError(
      .unknownCard,
      "card \(card) is not known at this counter: not enrolled, or enrolled elsewhere since its last sync or outside "
        + "its region (loyalty-terminal look-up asks HQ)",
      screenLines: ["Card \(CardID.masked(card))", "is not known here."])
  }

  /// Blocks a card: refused at the counter from now on; its account stays intact.
  public func block(card: String, context c: OperationContext) throws {
    try pool.write { db in try block(db, card: card, context: c) }
  }

  func block(_ db: Database, card: String, context: OperationContext) throws {
    let c = try onBasis(db, context)
    let program = try program(db)
    let entry = try Decisions.block(card: card, facts: try cardFacts(db, card), context: c)
    try record(db, [entry], operator: c.operator, origin: .local, program: program)
    try audit(db, c, "block", subject: card, detail: "account \(entry.account!)")
  }

  /// Links a new card to the account of an existing one (a replacement or a second card).
  ///
  /// - Parameters:
  ///   - cardKey: the new card's public key (`CardProof`, hex) when it can sign.
  ///   - sign: the existing card's signature over the link's entry, when that card is present
  ///     (called inside the transaction, with the entry as it will be recorded); an account whose
  ///     card signs is linked only with it.
  public func link(
    card: String, to existing: String, cardKey: String? = nil, sign: ((Entry) throws -> CardProof?)? = nil,
    context: OperationContext
  ) throws -> String {
    try pool.write { db in
      let c = try onBasis(db, context)
      let program = try program(db)
      // The card's own account, if this cache holds one: its provisional earns, seen here.
      let own = try CacheWorkingSet.load(db, account: Identities.accountID(enrolledWith: card))
      var entry = try Decisions.link(
        card: card, known: try cardFacts(db, card), ownAccount: own, to: existing,
        existingFacts: try cardFacts(db, existing), context: c)
      entry.data = cardKey
      if let sign { entry.proof = try sign(entry)?.text }
      // Handing an account to a new card needs its existing card's signature when it can sign:
      // no counter can do that without the card (HQ's customer desk links a lost card's account).
      let target = try CacheWorkingSet.load(db, account: entry.account!)
      if let problem = CardProofPolicy.problem(entry, account: target, program: program, unprovenToday: 0) {
        throw problem
      }
      try record(db, [entry], operator: c.operator, origin: .local, program: program)
      try audit(db, c, "link", subject: card, detail: "to account \(entry.account!) of card \(existing)")
      return entry.account!
    }
  }

  /// Every entry of the account behind `card`, oldest first, this terminal's entries
  /// HQ refused among them with HQ's reason (`refusedByHQ`, nil for every other).
  public func history(card: String) throws -> [(record: EntryRecord, refusedByHQ: String?)] {
    try pool.read { db in
      guard let facts = try cardFacts(db, card) else { throw try Self.unknown(db, card: card) }
      let entries = try EntryRecord.filter(EntryRecord.Columns.accountId == facts.account)
        .order(EntryRecord.Columns.seq).fetchAll(db).map { (record: $0, refusedByHQ: String?.none) }
      let refusals = try RefusalRecord.filter(RefusalRecord.Columns.accountId == facts.account)
        .order(RefusalRecord.Columns.seq).fetchAll(db).map { (record: $0.record, refusedByHQ: Optional($0.reason)) }
      // Oldest first by when it happened (an entry learnt at a sync can be older than one this
      // counter recorded before it), then in the order this cache stored them.
      return (entries + refusals).sorted { ($0.record.at, $0.record.seq ?? 0) < ($1.record.at, $1.record.seq ?? 0) }
    }
  }
}
