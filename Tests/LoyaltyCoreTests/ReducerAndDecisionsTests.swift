import LoyaltyCore
import Testing

/// The core's one reducer and its decisions, with no storage at all.
@Suite("Reducer and decisions")
struct ReducerAndDecisionsTests {
  static let t0 = UTCInstant(parsing: "2026-11-02T09:00:00Z")!
  static let program = try! ProgramParser.parse(
    """
    {"version": 1, "currency": "EUR", "minorUnits": 2,
     "earn": {"pointsPerUnit": "1", "categories": {"fresh": "2"}}, "promotions": [],
     "tiers": [{"name": "Member", "multiplier": "1"}], "tierWindowDays": 365,
     "referral": {"referrerPoints": 50, "refereePoints": 25, "minFirstPurchase": 1000},
     "expiryDays": 365, "catalogue": [{"id": "coffee", "kind": "product", "points": 30, "name": "Coffee"}],
     "limits": {"debounceSeconds": 3, "maxEarnsPerCardPerHour": 5, "offlineRedeemPointsPerDay": 500}}
    """.data(using: .utf8)!)
  let context = OperationContext(terminal: "T01", operator: "test", at: t0)

  func entry(_ kind: Entry.Kind, _ points: Int64, account: String = "acct-a", id: String = "e") -> Entry {
    Entry(kind: kind, id: id, at: Self.t0, terminal: "HQ", account: account, points: points)
  }

  @Test func anOverflowIsAnErrorAndChangesNothing() throws {
    var a = AccountState(id: "acct-a")
    try a.apply(entry(.adjustment, 5_000_000_000_000_000_000), rules: StateRules(expiryDays: 365))
    let before = a
    #expect(throws: RuleError.self) {
      try a.apply(entry(.adjustment, 5_000_000_000_000_000_000), rules: StateRules(expiryDays: 365))
    }
    #expect(a == before)
    #expect(throws: RuleError.self) { try a.apply(entry(.adjustment, .min), rules: StateRules(expiryDays: 365)) }
    #expect(a == before)
    #expect(throws: RuleError.self) {
      try a.apply(entry(.adjustment, 1, account: "acct-b"), rules: StateRules(expiryDays: 365))
    }
  }

  @Test func theReducerKeepsReceiptsCardsAndBlocks() throws {
    var a = AccountState(id: "acct-a")
    try a.apply(
      Entry(
        kind: .enroll, id: "n", at: Self.t0, terminal: "T01", account: "acct-a", card: "C1", points: 0, ref: "acct-r"),
      rules: StateRules(expiryDays: 365))
    try a.apply(
      Entry(
        kind: .earn, id: "earn-R1", at: Self.t0, terminal: "T01", account: "acct-a", card: "C1", points: 20,
        amount: 1000, receipt: "R1"), rules: StateRules(expiryDays: 365))
    try a.apply(
      Entry(
        kind: .reversal, id: "rev", at: Self.t0, terminal: "T01", account: "acct-a", points: -10, amount: 500,
        receipt: "R1"), rules: StateRules(expiryDays: 365))
    try a.apply(
      Entry(kind: .block, id: "b", at: Self.t0, terminal: "T01", account: "acct-a", card: "C1"),
      rules: StateRules(expiryDays: 365))
    #expect(a.referrer == "acct-r" && a.cards == ["C1"] && a.blockedCards == ["C1"])
    #expect(a.balance == 10 && a.lifetimeSpend == 500 && a.purchases == 1)
    #expect(
      a.receipts["R1"]
        == Receipt(account: "acct-a", at: Self.t0.seconds, amount: 1000, points: 20, refunded: 500, reversed: 10))
  }

  @Test func anEarnDecidesItsPointsAndTheReferralBonusesOnce() throws {
    var referee = AccountState(id: Identities.accountID(enrolledWith: "6280001234567895"))
    referee.referrer = "acct-referrer"
    let facts = CardFacts(card: "6280001234567895", account: referee.id, blocked: false)
    let earn = try Decisions.earn(
      card: facts, cardID: facts.card, account: referee, lines: [PurchaseLine(category: "fresh", amount: 1250)],
      receipt: "T01/R1", receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [],
      program: Self.program, context: context)
    #expect(earn.points == 25)
    #expect(earn.entries.map(\.kind) == [.earn, .referralBonus, .referralBonus])
    #expect(earn.entries.compactMap(\.points) == [25, 50, 25])
    for e in earn.entries where e.account == referee.id { try referee.apply(e, rules: StateRules(expiryDays: 365)) }
    #expect(referee.referralSettled && referee.balance == 50)
    let again = try Decisions.earn(
      card: facts, cardID: facts.card, account: referee, lines: [PurchaseLine(category: "other", amount: 1000)],
      receipt: "T01/R2", receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [],
      program: Self.program, context: context)
    #expect(again.entries.map(\.kind) == [.earn])
  }

  /// The referral rule is one function: the counter's earn and HQ's audit both pay by it, on
  /// the purchase the bonus comes with (not on any earlier receipt).
  @Test func theReferralPaysOnAQualifyingPurchaseOnly() throws {
    var referee = AccountState(id: "acct-referee")
    referee.referrer = "acct-referrer"
    let paid = try Decisions.referralBonuses(account: referee, purchase: 1000, program: Self.program, context: context)
    #expect(paid.map(\.account) == ["acct-referrer", "acct-referee"] && paid.compactMap(\.points) == [50, 25])
    #expect(paid.allSatisfy { $0.ref == referee.id && $0.at == context.at })
    let small = #expect(throws: RuleError.self) {
      try Decisions.referralBonuses(account: referee, purchase: 999, program: Self.program, context: context)
    }
    #expect(small?.description.contains("no purchase of 1000") == true, "\(String(describing: small))")
    referee.referralSettled = true
    #expect(throws: RuleError.self) {
      try Decisions.referralBonuses(account: referee, purchase: 5000, program: Self.program, context: context)
    }
  }

  @Test func refusalsNameTheirReason() throws {
    let blocked = CardFacts(card: "C1", account: "acct-a", blocked: true)
    let refusal = #expect(throws: RuleError.self) {
      try Decisions.redeem(
        card: blocked, cardID: "C1", account: AccountState(id: "acct-a"), item: "coffee", redeemedTodayHere: 0,
        sequence: 1, program: Self.program, context: context)
    }
    #expect(refusal?.reason == .blockedCard)
    let unknown = #expect(throws: RuleError.self) {
      try Decisions.refund(
        receipt: "R9", receipt: nil, amount: 100, earlierReversals: 0, program: Self.program, context: context)
    }
    #expect(unknown?.reason == .unknownReceipt)
    let capped = #expect(throws: RuleError.self) {
      var rich = AccountState(id: "acct-a")
      try rich.apply(entry(.adjustment, 10_000), rules: StateRules(expiryDays: 365))
      return try Decisions.redeem(
        card: CardFacts(card: "C1", account: "acct-a", blocked: false), cardID: "C1", account: rich, item: "coffee",
        redeemedTodayHere: .max, sequence: 1, program: Self.program, context: context)
    }
    #expect(capped?.reason == .dailyRedeemCapReached)
  }

  /// A purchase is pending for the return window of the version it was made under (issue 21,
  /// item 4): a later version's window never makes it pending again. One recorded without a
  /// window (an earn line written before windows were recorded) takes the program in force's.
  @Test func eachPurchaseIsPendingForTheWindowOfItsVersion() throws {
    var windowed = Self.program
    windowed.version = 2
    windowed.pendingDays = 14
    let facts = CardFacts(card: "C1", account: "acct-a", blocked: false)
    var a = AccountState(id: "acct-a")
    func earn(_ receipt: String, under program: LoyaltyProgram, at t: UTCInstant) throws -> Entry {
      let entry = try Decisions.earn(
        card: facts, cardID: "C1", account: a, lines: [PurchaseLine(category: "fresh", amount: 2000)],
        receipt: receipt, receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [],
        program: program, context: OperationContext(terminal: "T01", operator: "test", at: t)
      ).entries[0]
      try a.apply(entry, rules: StateRules(expiryDays: 365))
      return entry
    }
    let first = try earn("T01/R1", under: Self.program, at: Self.t0)
    let second = try earn("T01/R2", under: windowed, at: Self.t0.adding(seconds: 3600))
    #expect(first.pendingDays == 0 && second.pendingDays == 14, "the window of the version, recorded with the earn")
    #expect(a.receipts["T01/R1"]?.pendingDays == 0 && a.receipts["T01/R2"]?.pendingDays == 14)
    // An earn line from before windows were recorded: no window of its own.
    try a.apply(
      Entry(
        kind: .earn, id: "earn-T01/R3", at: Self.t0, terminal: "T01", account: "acct-a", card: "C1", points: 40,
        amount: 2000, receipt: "T01/R3"), rules: StateRules(expiryDays: 365))
    let now = Self.t0.adding(seconds: 7200)
    #expect(a.balance == 120)
    #expect(a.pending(at: now, legacyPendingDays: 14) == 80, "R2 by its own window, R3 by the program in force's")
    #expect(a.pending(at: now, legacyPendingDays: 0) == 40, "R1 stays available whatever the program in force")
    #expect(a.pending(at: Self.t0.adding(days: 14), legacyPendingDays: 14) == 40, "R3's window closed, not R2's")
    #expect(a.pending(at: Self.t0.adding(seconds: 3600).adding(days: 14), legacyPendingDays: 14) == 0)
    #expect(ReturnWindow.closes(purchasedAt: Self.t0, pendingDays: 0, legacy: 14) == nil)
    #expect(ReturnWindow.closes(purchasedAt: Self.t0, pendingDays: nil, legacy: 14) == Self.t0.adding(days: 14))
    #expect(ReturnWindow.closes(purchasedAt: Self.t0, pendingDays: 14, legacy: 0) == Self.t0.adding(days: 14))
    // Under the version with the window, R1's points (earned under one without) pay for a coffee.
    let redeem = try Decisions.redeem(
      card: facts, cardID: "C1", account: a, item: "coffee", redeemedTodayHere: 0, sequence: 1, program: windowed,
      context: OperationContext(terminal: "T01", operator: "test", at: now))
    #expect(redeem.points == -30)
  }
}
