/// What an adapter knows of a card: whose it is, and whether it is blocked.
public struct CardFacts: Hashable, Sendable {
  public var card: String
  public var account: String
  public var blocked: Bool

  public init(card: String, account: String, blocked: Bool) {
    self.card = card
    self.account = account
    self.blocked = blocked
  }
}

/// The decisions: from the facts an operation needs, the entries it produces, or a refusal.
///
/// Pure: the counter's cache loads the facts, calls one of these, appends the entries and
/// applies them with the reducer, all in one transaction; HQ's audit calls the same functions
/// to re-derive what a terminal sent. Nothing here reads a clock, a file or a database.
public enum Decisions {
  /// The bounds every number from outside is held to.
  public enum Bounds {
    /// The largest amount (minor units) of a basket line, a purchase or a refund: 10^11.
    public static let maxAmount: Int64 = 100_000_000_000
    /// The largest points of one entry, either sign: 10^12.
    public static let maxPoints: Int64 = 1_000_000_000_000
    /// The plausible times of an entry: 2000-01-01 … 2100-01-01 (UTC).
    public static let times = UTCInstant(seconds: 946_684_800)..<UTCInstant(seconds: 4_102_444_800)
  }

  /// An active card: known and not blocked.
  public static func active(_ card: String, _ facts: CardFacts?) throws(RuleError) -> CardFacts {
    guard let facts else {
      throw RuleError(
        .unknownCard, "card \(card) is not enrolled", screenLines: ["Card \(CardID.masked(card))", "is not enrolled."])
    }
    guard !facts.blocked else {
      throw RuleError(
        .blockedCard, "card \(card) is blocked; the account is intact (ask HQ or link a new card)",
        screenLines: ["Card \(CardID.masked(card))", "is blocked. Account", "is intact: ask at", "customer desk."])
    }
    return facts
  }

  /// Enrols `card` in its deterministic account (the same at every terminal, offline or not). A
  /// referrer must be an active card of another account.
  public static func enroll(
    card: String, known: CardFacts?, referrer: (card: String, facts: CardFacts?)?, context c: OperationContext
  ) throws(RuleError) -> Entry {
    try Identities.validateCard(card)
    if let known {
      throw RuleError(
        .alreadyEnrolled, "card \(card) is already enrolled (account \(known.account))",
        screenLines: ["Card \(CardID.masked(card))", "is already enrolled."])
    }
    let account = Identities.accountID(enrolledWith: card)
    var referrerAccount: String?
    if let referrer {
      guard referrer.card != card else {
        throw RuleError(
          .invalidReferrer, "card \(card) cannot refer itself: the referrer is another member's card",
          screenLines: ["A card cannot refer", "itself: scan the", "referrer's card."])
      }
      // Said as the referrer's, so the cashier does not take it for the new card's.
      guard let r = referrer.facts, !r.blocked else {
        let why = referrer.facts == nil ? "is not enrolled" : "is blocked"
        throw RuleError(
          .invalidReferrer, "the referrer's card \(referrer.card) \(why): enrol without a referrer, or with another",
          screenLines: ["Referrer \(CardID.masked(referrer.card))", "\(why): OK to", "enrol without one."])
      }
      guard r.account != account else {
        throw RuleError(
          .invalidReferrer, "a card cannot refer its own account",
          screenLines: ["A card cannot refer", "its own account."])
      }
      referrerAccount = r.account
    }
    return Entry(
      kind: .enroll, id: Identities.enrollmentEntryID(account: account), at: c.at, terminal: c.terminal,
      account: account, card: card, points: 0, ref: referrerAccount, basis: c.basis)
  }

  /// Links a new card to the account of an existing one (a replacement or a second card).
  ///
  /// `ownAccount` is the card's own account (`Identities.accountID(enrolledWith:)`) as this
  /// terminal knows it. A card with provisional earns of its own is in its holder's hands: it is
  /// enrolled as its own account, never linked (its points stay with whoever holds it; HQ can
  /// merge accounts). Provisional points move only to an account a card was linked to without
  /// sight of them (docs/ledger-format.md, trust rules).
  public static func link(
    card: String, known: CardFacts?, ownAccount: AccountState?, to existing: String, existingFacts: CardFacts?,
    context c: OperationContext
  ) throws(RuleError) -> Entry {
    try Identities.validateCard(card)
    if let known { throw RuleError(.alreadyLinked, "card \(card) already belongs to account \(known.account)") }
    if let own = ownAccount {
      throw RuleError(
        .alreadyLinked,
        "card \(card) has points of its own (\(own.balance) on account \(own.id)): enrol it as its own account; "
          + "HQ can merge accounts",
        screenLines: ["Card \(CardID.masked(card))", "has points of its own", "Enrol it instead"])
    }
    guard let target = existingFacts else { throw RuleError(.unknownCard, "card \(existing) is not enrolled") }
    return Entry(
      kind: .link, id: Identities.linkID(card: card), at: c.at, terminal: c.terminal, account: target.account,
      card: card, points: 0,
      ref: existing, basis: c.basis)
  }

  /// Blocks a card: refused at the counter from then on; its account stays intact.
  public static func block(card: String, facts: CardFacts?, context c: OperationContext) throws(RuleError) -> Entry {
    guard let facts else { throw RuleError(.unknownCard, "card \(card) is not enrolled") }
    guard !facts.blocked else { throw RuleError(.blockedCard, "card \(card) is already blocked") }
    return Entry(
      kind: .block, id: Identities.blockID(card: card, at: c.at), at: c.at, terminal: c.terminal,
      account: facts.account,
      card: card, points: 0, basis: c.basis)
  }

  /// What an earn decided: its entries (the earn, and referral bonuses it triggered) and what the
  /// cashier reads out, once the entries are applied.
  public struct Earn: Sendable {
    public var entries: [Entry]
    public var receipt: String
    public var points: Int64
    /// The tier and the way to the next one, this purchase included.
    public var tier: String
    public var nextTier: NextTier?
    /// Decided on a card this counter did not know: the points are added at the next sync.
    public var provisional = false

    /// The receipt read out, with the balance after the entries were applied.
    public func readout(card: String, account: String, balance: Int64) -> EarnReceipt {
      var bonuses: [String: Int64] = [:]
      for e in entries where e.kind == .referralBonus { bonuses[e.account ?? ""] = e.points ?? 0 }
      var receipt = EarnReceipt(
        receipt: receipt, card: card, account: account, points: points, balance: balance, tier: tier,
        nextTier: nextTier, referralBonuses: bonuses)
      receipt.provisional = provisional
      return receipt
    }
  }

  /// A purchase: points by the program's rules, at the tier the account's window gives.
  ///
  /// `account` holds at least the receipts in the tier window before `c.at`; `lastTap` is this
  /// card's last tap here, `earnsInTrailingHour` its earns here in the hour before; `receiptTaken`
  /// whether the receipt id is already recorded; `recordedBonuses` the referral bonus ids already
  /// known.
  /// `chain`: the counts the chain-wide bounds hold, as the deciding side knows them.
  public static func earn(
    card: CardFacts?, cardID: String, account: AccountState, lines: [PurchaseLine], receipt: String,
    receiptTaken: Bool, lastTap: UTCInstant?, earnsInTrailingHour: Int, chain: CounterLimits.ChainCounts = .init(),
    recordedBonuses: Set<String>, program: LoyaltyProgram, context c: OperationContext
  ) throws(RuleError) -> Earn {
    try purchase(
      card: card, cardID: cardID, account: account, lines: lines, receipt: receipt, receiptTaken: receiptTaken,
      lastTap: lastTap, earnsInTrailingHour: earnsInTrailingHour, chain: chain, recordedBonuses: recordedBonuses,
      provisional: false, program: program, context: c)
  }

  /// A purchase on a card this counter does not know (enrolled at another shop since its last
  /// sync, or not enrolled yet): the earn is recorded against the card's deterministic account —
  /// the account an enrolment of the card makes, whichever shop enrols it — marked provisional
  /// (`data` = `Entry.provisional`). Its points are the program's for the tier that account's
  /// purchases known here give; no referral bonus, no balance shown, no redemption until the card
  /// is known. `known` is what this counter knows of the card: a known card is never provisional.
  ///
  /// A terminal in a region (`ProgramRegions`) holds only the accounts active there: a card it does
  /// not hold may be any cardholder's, whose purchases elsewhere it never saw. Its provisional earns
  /// are decided on the base tier (no purchase history), at the counter and in HQ's audit alike.
  public static func provisionalEarn(
    cardID: String, known: CardFacts?, account: AccountState, lines: [PurchaseLine], receipt: String,
    receiptTaken: Bool, lastTap: UTCInstant?, earnsInTrailingHour: Int, chain: CounterLimits.ChainCounts = .init(),
    program: LoyaltyProgram, context c: OperationContext
  ) throws(RuleError) -> Earn {
    try Identities.validateCard(cardID)
    if let known {
      throw RuleError(
        .alreadyEnrolled, "card \(cardID) is known here (account \(known.account)): its points go on its account now")
    }
    let own = Identities.accountID(enrolledWith: cardID)
    guard account.id == own else {
      throw RuleError(.unknownAccount, "a provisional earn on card \(cardID) is for account \(own), not \(account.id)")
    }
    let partial = program.regions?.region(of: c.terminal) != nil
    return try purchase(
      card: nil, cardID: cardID, account: partial ? AccountState(id: own) : account, lines: lines, receipt: receipt,
      receiptTaken: receiptTaken, lastTap: lastTap, earnsInTrailingHour: earnsInTrailingHour, chain: chain,
      recordedBonuses: [], provisional: true, program: program, context: c)
  }

  /// The purchase rule both forms share.
  private static func purchase(
    card: CardFacts?, cardID: String, account: AccountState, lines: [PurchaseLine], receipt: String,
    receiptTaken: Bool, lastTap: UTCInstant?, earnsInTrailingHour: Int, chain: CounterLimits.ChainCounts,
    recordedBonuses: Set<String>, provisional: Bool, program: LoyaltyProgram, context c: OperationContext
  ) throws(RuleError) -> Earn {
    guard !lines.isEmpty else { throw RuleError(.invalidAmount, "a purchase needs at least one line") }
    guard lines.count <= 200 else {
      throw RuleError(.invalidAmount, "a purchase of \(lines.count) lines (at most 200)")
    }
    for line in lines {
      if let problem = PurchaseLine.categoryProblem(line.category) { throw RuleError(.invalidAmount, problem) }
      guard line.amount >= 0, line.amount <= Bounds.maxAmount else {
        throw RuleError(
          .invalidAmount, "line \(line.category): amount \(line.amount) is outside 0…\(Bounds.maxAmount)")
      }
    }
    guard receipt.hasPrefix(c.terminal + "/") else {
      throw RuleError(.invalidAmount, "receipt \(receipt) is not one of terminal \(c.terminal)'s (\(c.terminal)/…)")
    }
    if !provisional { _ = try active(cardID, card) }
    if CounterLimits.isDebounced(lastTap: lastTap, now: c.at, in: program) {
      throw RuleError(
        .debounced, "card \(cardID) was tapped here less than \(program.limits.debounceSeconds) s ago; ignored",
        screenLines: ["Same card again in", "under \(program.limits.debounceSeconds) s: wait."])
    }
    try CounterLimits.checkVelocity(earnsInTrailingHour: earnsInTrailingHour, card: cardID, in: program)
    try CounterLimits.checkDailyEarns(earnsThatDay: chain.earnsThatDay, card: cardID, day: c.at.day, in: program)
    var total: Int64 = 0
    for line in lines { total = try Checked.add(total, line.amount, "the basket's total") }
    // A purchase of nothing is no visit (it would count towards a tier).
    guard total > 0 else { throw RuleError(.invalidAmount, "a purchase of 0 earns nothing and is not recorded") }
    try CounterLimits.checkPurchase(lines, total: total, in: program)
    if receiptTaken {
      throw RuleError(
        .duplicateReceipt, "receipt \(receipt) is already recorded",
        screenLines: ["Receipt \(receipt)", "is already recorded."])
    }
    let tier = EarnRules.tier(at: c.at, of: account, in: program).tier
    let points = try EarnRules.points(for: lines, at: c.at, tier: tier, in: program)
    guard points <= Bounds.maxPoints else {
      throw RuleError(.overflow, "the basket's \(points) points are beyond the bound of \(Bounds.maxPoints)")
    }
    var entries = [
      Entry(
        kind: .earn, id: Identities.earnID(receipt: receipt), at: c.at, terminal: c.terminal, account: account.id,
        card: cardID,
        points: points, amount: total, currency: program.currency, receipt: receipt,
        data: provisional ? Entry.provisional : nil, lines: lines, version: Int64(program.version), tier: tier.name,
        pendingDays: program.pendingDays, basis: c.basis)
    ]
    if !provisional,
      let bonuses = try? referralBonuses(
        account: account, purchase: total, referrerBonusesInWindow: chain.referrerBonuses, program: program, context: c)
    {
      entries += bonuses.filter { !recordedBonuses.contains($0.id) }
    }
    // The standing the purchase leaves: the account with its earn applied.
    var after = account
    try? after.apply(entries[0], rules: StateRules(program))
    let standing = EarnRules.standing(after: c.at, of: after, in: program)
    return Earn(
      entries: entries, receipt: receipt, points: points, tier: standing.tier.name,
      nextTier: NextTier.after(standing, in: program), provisional: provisional)
  }

  /// A redemption against the balance this terminal knows, within the daily cap. `sequence`
  /// makes the entry's id unique at this terminal.
  public static func redeem(
    card: CardFacts?, cardID: String, account: AccountState, item itemID: String, redeemedTodayHere: Int64,
    sequence: Int64, program: LoyaltyProgram, context c: OperationContext
  ) throws(RuleError) -> Entry {
    _ = try active(cardID, card)
    guard let item = program.item(itemID) else {
      throw RuleError(
        .unknownItem, "no catalogue item \"\(itemID)\" (have: \(program.catalogue.map(\.id).joined(separator: ", ")))")
    }
    try CounterLimits.checkRedemption(
      item: item, balance: account.available(at: c.at, legacyPendingDays: program.pendingDays),
      pending: account.pending(at: c.at, legacyPendingDays: program.pendingDays), redeemedTodayHere: redeemedTodayHere,
      card: cardID, in: program)
    return Entry(
      kind: .redeem, id: Identities.redeemID(terminal: c.terminal, at: c.at, sequence: sequence), at: c.at,
      terminal: c.terminal,
      account: account.id, card: cardID, points: -item.points, data: item.id, version: Int64(program.version),
      basis: c.basis)
  }

  /// The refusal of a refund whose receipt this terminal does not know (at the scan or at the
  /// refund itself): a wrong number, another shop's receipt, or one older than the refund window
  /// (an account keeps its receipts that long), which only HQ can adjust.
  /// `foreign`: another counter's receipt, which a counter finds only in its customer's account
  /// (it indexes its own receipts only): the customer's card, tapped first, brings it (looked up
  /// at HQ when need be). `card`: the card given, whose account holds no such receipt.
  public static func unknownReceipt(_ id: String, foreign: Bool = false, card: String? = nil) -> RuleError {
    let window =
      "a counter keeps a receipt only inside the program's refund window; HQ can adjust an older one's points "
      + "with ledger adjust"
    if let card {
      return RuleError(
        .unknownReceipt,
        "receipt \(id) is not on card \(CardID.masked(card)): check the number and the card (\(window))",
        screenLines: ["Receipt \(id)", "is not on this card:", "check the number."])
    }
    if foreign {
      return RuleError(
        .unknownReceipt,
        "receipt \(id) is another counter's: give the customer's card (--card CARD; at the counter, tap it, then "
          + "F), as a counter finds another's receipt in the account of the card that earned it; or check the "
          + "number (\(window))",
        screenLines: ["Receipt \(id)", "is not known here:", "tap the card, then F", "or check the number"])
    }
    return RuleError(
      .unknownReceipt, "receipt \(id) is not known here: check the number (\(window))",
      screenLines: ["Receipt \(id)", "is not known here:", "check the number."])
  }

  /// The refusal of a refund whose customer's card has no account this counter holds in full (a
  /// card not enrolled, enrolled elsewhere since the counter's last sync, or, at a region's
  /// counter, of an account it does not hold): HQ has the receipt.
  public static func receiptOfCardNotHeld(_ id: String, card: String) -> RuleError {
    RuleError(
      .unknownReceipt,
      "receipt \(id): card \(CardID.masked(card)) has no account held at this counter (not enrolled, enrolled "
        + "elsewhere since its last sync, or outside its region): loyalty-terminal look-up asks HQ for it; or "
        + "refund it where it was sold",
      screenLines: ["Receipt \(id)", "Card not held here:", "look it up at HQ, or", "refund where sold."])
  }

  /// A refund of `amount` against a receipt: its points reversed in proportion, never more than
  /// it earned. `earlierReversals` counts the receipt's reversals already recorded.
  public static func refund(
    receipt id: String, receipt: Receipt?, amount: Int64, earlierReversals: Int, program: LoyaltyProgram,
    context c: OperationContext
  ) throws(RuleError) -> Entry {
    guard let receipt else { throw unknownReceipt(id) }
    guard c.at.seconds - receipt.at <= Int64(program.refundDays) * 86_400 else {
      throw RuleError(
        .unknownReceipt,
        "receipt \(id) is older than the program's \(program.refundDays)-day refund window: a counter cannot "
          + "refund it; HQ can adjust the points (ledger adjust)",
        screenLines: [
          "Receipt older than", "\(program.refundDays) days: no refund", "here. HQ can adjust", "the points.",
        ])
    }
    // Said with the currency, and what is left to refund, before the rule's own check below.
    let left = receipt.amount - receipt.refunded
    guard amount <= left else {
      throw RuleError(
        .refundExceedsReceipt,
        "a refund of \(program.money(amount)) is more than what is left of receipt \(id): "
          + "\(program.money(left)) of \(program.money(receipt.amount))",
        screenLines: ["Refund of \(program.money(amount))", "is more than what is", "left: \(program.money(left))"])
    }
    guard amount <= Bounds.maxAmount else {
      throw RuleError(.invalidAmount, "refund amount \(amount) is beyond \(Bounds.maxAmount)")
    }
    let reversal = try EarnRules.reversal(
      refund: amount, receiptAmount: receipt.amount, receiptPoints: receipt.points, refundedBefore: receipt.refunded,
      reversedBefore: receipt.reversed)
    return Entry(
      kind: .reversal, id: Identities.reversalID(terminal: c.terminal, receipt: id, number: earlierReversals + 1),
      at: c.at, terminal: c.terminal,
      account: receipt.account, points: -reversal, amount: amount, currency: program.currency, receipt: id,
      ref: Identities.earnID(receipt: id), basis: c.basis)
  }

  /// HQ's expiry of an account's lots expired at `cutoff`, or nil when none has. Its id is fixed
  /// by account and cutoff, so running it twice for one cutoff cannot double.
  public static func expiry(of account: AccountState, asOf cutoff: UTCInstant) -> Entry? {
    let points = account.lots.expiring(asOf: cutoff)
    guard points > 0 else { return nil }
    return Entry(
      kind: .expiry, id: Identities.expiryID(account: account.id, cutoff: cutoff), at: cutoff, terminal: Entry.hq,
      account: account.id,
      points: -points)
  }
}
