import LoyaltyCore
import Testing

/// The program's chain-wide bounds as HQ's audit holds them: the entries counters record, each
/// decided by the core on what its counter knew (offline, or dishonest), forged as values and taken
/// in ledger order.
extension AuditReplayTests {
  /// The test program again as version 2, with a referral and both chain-wide bounds: 2 earns a
  /// card a UTC day, 2 referrer bonuses a referrer in any 30 UTC days.
  static let boundedJSON = json.replacingOccurrences(of: #"{"version": 1,"#, with: #"{"version": 2,"#)
    .replacingOccurrences(
      of: #""expiryDays": 365,"#,
      with: #""referral": {"referrerPoints": 200, "refereePoints": 100, "minFirstPurchase": 2000, "#
        + #""maxReferralsPerReferrer": 2, "periodDays": 30}, "expiryDays": 365,"#
    )
    .replacingOccurrences(
      of: #""offlineRedeemPointsPerDay": 500}"#,
      with: #""offlineRedeemPointsPerDay": 500, "maxEarnsPerCardPerDay": 2}"#)

  /// A valid loyalty number of its own for the `n`th fake card.
  static func fakeCard(_ n: Int) -> String {
    let body = Array("628000777" + String(1_000_000 + n).suffix(6)).map { UInt8($0.asciiValue! - 48) }
    return String((body + [LoyaltyNumber.checkDigit(for: body)]).map { Character(UnicodeScalar($0 + 48)) })
  }

  /// T03 registered and the bounded program published; the program.
  mutating func publishBounds() throws -> LoyaltyProgram {
    hq(Entry(kind: .terminalRegister, id: "register-T03", at: Self.t0, terminal: Entry.hq, ref: "T03", data: "k"))
    hq(Entry(kind: .program, id: "program-2", at: Self.t0, terminal: Entry.hq, data: Self.boundedJSON))
    let program = try ProgramParser.parse(Self.boundedJSON.data(using: .utf8)!)
    #expect(program.limits.maxEarnsPerCardPerDay == 2)
    #expect(program.referral?.maxReferralsPerReferrer == 2 && program.referral?.periodDays == 30)
    return program
  }

  /// Takes `entries` as one batch sealed by their terminal: the audit's reason for each, nil
  /// where it accepted it.
  mutating func batchOf(_ entries: [Entry], sealedAt: UTCInstant = t0.adding(days: 1)) -> [String?] {
    var reasons: [String?] = []
    for e in entries {
      seq += 1
      reasons.append(audit.take(e, seq: seq, signer: e.terminal, sealedAt: sealedAt))
    }
    seq += 1
    audit.sealed(at: seq, time: sealedAt, by: entries[0].terminal)
    return reasons
  }

  /// `card`'s enrolment at T01 (naming `referrer`'s card) and the account as T01 then knows it.
  func enrolled(_ card: String, referrer: String? = nil, at: UTCInstant, basis: Int64) throws -> (Entry, AccountState) {
    let facts = referrer.map { CardFacts(card: $0, account: Identities.accountID(enrolledWith: $0), blocked: false) }
    let c = OperationContext(terminal: "T01", operator: "", at: at, basis: basis)
    let entry = try Decisions.enroll(card: card, known: nil, referrer: referrer.map { ($0, facts) }, context: c)
    var account = AccountState(id: entry.account!)
    try account.apply(entry, rules: StateRules(expiryDays: 365))
    return (entry, account)
  }

  /// A purchase of 20.00 (`other`) on `card` at `terminal`, decided by the core on `account` as
  /// that counter knows it and the chain-wide counts it knows (none: offline, or dishonest).
  func purchase(
    _ card: String, account: AccountState, at terminal: String, receipt: String, time: UTCInstant, basis: Int64,
    program: LoyaltyProgram
  ) throws -> [Entry] {
    try Decisions.earn(
      card: CardFacts(card: card, account: account.id, blocked: false), cardID: card, account: account,
      lines: [PurchaseLine(category: "other", amount: 2_000)], receipt: receipt, receiptTaken: false, lastTap: nil,
      earnsInTrailingHour: 0, recordedBonuses: [], program: program,
      context: OperationContext(terminal: terminal, operator: "", at: time, basis: basis)
    ).entries
  }

  /// Three shops, each offline with only the card's enrolment: each records an earn on the card
  /// the same UTC day. The bound is 2: HQ accepts the first two in ledger order and refuses the
  /// third with the bound's name; it credits nothing. The next day the card earns again.
  @Test mutating func aCardsThirdEarnOfTheDayAtAThirdShopIsRefusedWithTheBound() throws {
    let program = try publishBounds()
    let (enrolment, known) = try enrolled(Self.card, at: Self.t0, basis: seq)
    #expect(batch(enrolment) == nil)
    let synced = seq
    var reasons: [String?] = []
    for (i, t) in ["T01", "T02", "T03"].enumerated() {
      let earn = try purchase(
        Self.card, account: known, at: t, receipt: "\(t)/R1", time: Self.t0.adding(seconds: 600 + 3600 * Int64(i)),
        basis: synced, program: program)
      reasons += batchOf(earn)
    }
    #expect(reasons[0] == nil && reasons[1] == nil, "\(reasons)")
    #expect(reasons[2]?.contains("limits.maxEarnsPerCardPerDay is 2") == true, "\(reasons[2] ?? "accepted")")
    #expect(reasons[2]?.contains("chain-wide bound") == true)
    #expect(audit.refusals.map(\.id) == ["earn-T03/R1"])
    #expect(audit.accounts[known.id]?.balance == 40, "two earns of 20 points; the refused one credits nothing")
    #expect(audit.accounts[known.id]?.receipts["T03/R1"] == nil)
    // The counter's rule says the same on the same count, with screen lines that fit the display.
    let atCounter = #expect(throws: RuleError.self) {
      try Decisions.earn(
        card: CardFacts(card: Self.card, account: known.id, blocked: false), cardID: Self.card, account: known,
        lines: [PurchaseLine(category: "other", amount: 2_000)], receipt: "T03/R1", receiptTaken: false,
        lastTap: nil, earnsInTrailingHour: 0, chain: .init(earnsThatDay: 2), recordedBonuses: [], program: program,
        context: OperationContext(terminal: "T03", operator: "", at: Self.t0, basis: synced))
    }
    #expect(atCounter?.reason == .dailyEarnLimitReached)
    #expect(atCounter?.screenLines?.allSatisfy { $0.count <= 20 } == true)
    // The next UTC day is a new count.
    let tomorrow = try purchase(
      Self.card, account: known, at: "T03", receipt: "T03/R2", time: Self.t0.adding(days: 1), basis: synced,
      program: program)
    #expect(batchOf(tomorrow, sealedAt: Self.t0.adding(days: 2)) == [nil])
    #expect(audit.accounts[known.id]?.balance == 60)
  }

  /// A referral farm: five fake cards enrolled with the accomplice as referrer, each with a 20.00
  /// purchase, recorded by a counter that pays every referrer bonus. The bound is 2 in 30 days:
  /// the accomplice gets 2 bonuses, every fake referee its own; on the 30th day after, the window
  /// (the bonus's UTC day and the 29 before it) no longer holds the first two, and one more is paid.
  @Test mutating func aReferralFarmPaysTheReferrerOnlyTheBoundsBonusesAndEachRefereeItsOwn() throws {
    let program = try publishBounds()
    let (accomplice, referrer) = try enrolled(Self.card, at: Self.t0, basis: seq)
    #expect(batch(accomplice) == nil)
    let synced = seq
    func referral(_ n: Int, at time: UTCInstant, sealedAt: UTCInstant) throws -> (referrer: String?, rest: [String?]) {
      let card = Self.fakeCard(n)
      let (enrolment, referee) = try enrolled(card, referrer: Self.card, at: time, basis: synced)
      let entries = try purchase(
        card, account: referee, at: "T01", receipt: "T01/F\(n)", time: time.adding(seconds: 60), basis: synced,
        program: program)
      #expect(entries.map(\.kind) == [.earn, .referralBonus, .referralBonus])
      let reasons = batchOf([enrolment] + entries, sealedAt: sealedAt)
      #expect(audit.accounts[referee.id]?.balance == 120, "the referee's 20 points and its own bonus of 100")
      return (reasons[2], [reasons[0], reasons[1], reasons[3]])
    }
    var paid: [String?] = []
    for n in 1...5 {
      let r = try referral(n, at: Self.t0.adding(seconds: 600 * Int64(n)), sealedAt: Self.t0.adding(days: 1))
      #expect(r.rest == [nil, nil, nil])
      paid.append(r.referrer)
    }
    #expect(paid[0] == nil && paid[1] == nil, "\(paid)")
    for reason in paid.dropFirst(2) {
      #expect(reason?.contains("referral.maxReferralsPerReferrer is 2") == true, "\(reason ?? "accepted")")
    }
    #expect(audit.accounts[referrer.id]?.balance == 400)
    // 29 days on, the window (day − 29 … day) still holds the first day's two bonuses.
    let stillIn = try referral(6, at: Self.t0.adding(days: 29), sealedAt: Self.t0.adding(days: 30))
    #expect(stillIn.referrer?.contains("2026-11-02…2026-12-01") == true, "\(stillIn.referrer ?? "accepted")")
    // 30 days on, it does not: one more is paid.
    let movedOn = try referral(7, at: Self.t0.adding(days: 30), sealedAt: Self.t0.adding(days: 31))
    #expect(movedOn.referrer == nil && movedOn.rest == [nil, nil, nil])
    #expect(audit.accounts[referrer.id]?.balance == 600)
  }

  /// The audit counts only the days a terminal may still date an entry on: once every terminal
  /// has sealed days later, the first days are forgotten, and an earn dated on one (a new
  /// terminal's first batch, dated days before its registration) is refused under the bound
  /// instead of passing it on a count of zero.
  @Test mutating func anEarnDatedOnADayTheAuditNoLongerCountsIsRefusedUnderTheBound() throws {
    let program = try publishBounds()
    let (enrolment, known) = try enrolled(Self.card, at: Self.t0, basis: seq)
    #expect(batch(enrolment) == nil)
    let synced = seq
    let later = Self.t0.adding(days: 5)
    var reasons: [String?] = []
    for t in ["T01", "T02", "T03"] {
      let earn = try purchase(
        Self.card, account: known, at: t, receipt: "\(t)/R5", time: later, basis: synced, program: program)
      reasons += batchOf(earn, sealedAt: later)
    }
    #expect(reasons[0] == nil && reasons[1] == nil && reasons[2]?.contains("already earned 2 times") == true)
    hq(Entry(kind: .terminalRegister, id: "register-T04", at: later, terminal: Entry.hq, ref: "T04", data: "k"))
    let backdated = try purchase(
      Self.card, account: known, at: "T04", receipt: "T04/R1", time: Self.t0.adding(days: 1), basis: seq,
      program: program)
    let reason = batchOf(backdated, sealedAt: later)[0]
    #expect(reason?.contains("dated 2026-11-03, before the first day whose earns the audit still counts") == true)
    #expect(reason?.contains("(2026-11-06") == true, "\(reason ?? "accepted")")
    // Within the days counted, the same terminal's earn is held to the bound as any other.
    let today = try purchase(
      Self.card, account: known, at: "T04", receipt: "T04/R2", time: later.adding(seconds: 60), basis: seq,
      program: program)
    #expect(batchOf(today, sealedAt: later.adding(seconds: 60))[0]?.contains("already earned 2 times") == true)
  }

  /// The referral rule itself: a referrer at the bound gets nothing, the referee its own bonus.
  @Test func theReferralRuleAtTheBoundPaysTheRefereeAlone() throws {
    let program = try ProgramParser.parse(Self.boundedJSON.data(using: .utf8)!)
    let (_, referee) = try enrolled(Self.fakeCard(1), referrer: Self.card, at: Self.t0, basis: 0)
    let c = OperationContext(terminal: "T01", operator: "", at: Self.t0)
    let under = try Decisions.referralBonuses(
      account: referee, purchase: 2_000, referrerBonusesInWindow: 1, program: program, context: c)
    #expect(under.map(\.account) == [Identities.accountID(enrolledWith: Self.card), referee.id])
    let at = try Decisions.referralBonuses(
      account: referee, purchase: 2_000, referrerBonusesInWindow: 2, program: program, context: c)
    #expect(at.map(\.account) == [referee.id] && at.allSatisfy { !$0.isReferrerBonus })
    #expect(CounterLimits.referrerWindow(endingOn: 100, in: program) == 71...100)
  }

  /// The fields are bounded, and the referrer bound's two are given together.
  @Test func theChainWideBoundsAreValidatedWithTheirPaths() {
    func problems(_ json: String) -> [String] {
      do {
        _ = try ProgramParser.parse(json.data(using: .utf8)!)
        return []
      } catch { return error.problems }
    }
    #expect(problems(Self.boundedJSON).isEmpty)
    let zero = problems(
      Self.boundedJSON.replacingOccurrences(of: #""maxEarnsPerCardPerDay": 2"#, with: #""maxEarnsPerCardPerDay": 0"#))
    #expect(zero == ["limits.maxEarnsPerCardPerDay: must not be below 1, is 0"])
    let alone = problems(Self.boundedJSON.replacingOccurrences(of: #", "periodDays": 30"#, with: ""))
    #expect(alone.contains { $0.hasPrefix("referral.periodDays: is required") }, "\(alone)")
    let long = problems(Self.boundedJSON.replacingOccurrences(of: #""periodDays": 30"#, with: #""periodDays": 400"#))
    #expect(long == ["referral.periodDays: must not exceed 366, is 400"])
    let orphan = problems(
      Self.boundedJSON.replacingOccurrences(of: #", "maxReferralsPerReferrer": 2"#, with: ""))
    #expect(orphan == ["referral.periodDays: bounds nothing without maxReferralsPerReferrer"])
  }
}
