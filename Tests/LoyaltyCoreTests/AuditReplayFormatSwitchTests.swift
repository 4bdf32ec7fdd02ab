import LoyaltyCore
import Testing

/// A counter offline while HQ moves the chain to program format 2 keeps deciding under format 1,
/// the version it holds; the audit re-derives its entries on the state it had, its own earlier
/// entries applied under that same program (not the one HQ published since).
@Suite("The audit across a switch to program format 2")
struct AuditReplayFormatSwitchTests {
  static let t0 = UTCInstant(parsing: "2026-11-02T09:00:00Z")!
  static let v1 = """
    {"version": 1, "currency": "EUR", "minorUnits": 2,
     "earn": {"pointsPerUnit": "1"}, "promotions": [],
     "tiers": [{"name": "Member", "multiplier": "1"}, {"name": "Regular", "minVisits": 3, "multiplier": "1.5"}],
     "tierWindowDays": 365, "expiryDays": 365, "catalogue": [],
     "limits": {"debounceSeconds": 3, "maxEarnsPerCardPerHour": 5, "offlineRedeemPointsPerDay": 500}}
    """
  /// Version 2: format 2, receipts kept a day (the tier is in the days now).
  static let v2 = v1.replacingOccurrences(
    of: "\"version\": 1,", with: "\"version\": 2, \"format\": 2, \"refundDays\": 1,")
  static let card = "6280001234567895"
  static let account = Identities.accountID(enrolledWith: card)

  var audit = AuditReplay()
  var seq: Int64 = 0

  mutating func take(_ e: Entry, signer: String) -> String? {
    seq += 1
    let reason = audit.take(e, seq: seq, signer: signer, sealedAt: e.at)
    seq += 1
    audit.sealed(at: seq, time: e.at, by: signer)
    return reason
  }

  /// `terminal`'s earn of 20.00 on the card at `t`, decided on `state` under `program` as its
  /// counter does, and applied to `state` as its cache does.
  func earn(
    _ n: Int, at t: UTCInstant, by terminal: String, on state: inout AccountState, program: LoyaltyProgram,
    basis: Int64
  ) throws -> Entry {
    let decided = try Decisions.earn(
      card: CardFacts(card: Self.card, account: Self.account, blocked: false), cardID: Self.card, account: state,
      lines: [PurchaseLine(category: "other", amount: 2_000)], receipt: "\(terminal)/R\(n)", receiptTaken: false,
      lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [], program: program,
      context: OperationContext(terminal: terminal, operator: "", at: t, basis: basis))
    var e = decided.entries[0]
    e.basis = basis
    try state.apply(e, rules: StateRules(program))
    return e
  }

  @Test mutating func anOfflineCountersEarnsUnderTheFormatItHoldsAreAdmitted() throws {
    for t in ["T01", "T02"] {
      _ = take(
        Entry(kind: .terminalRegister, id: "register-\(t)", at: Self.t0, terminal: Entry.hq, ref: t, data: "k"),
        signer: Entry.hq)
    }
    _ = take(Entry(kind: .program, id: "program-1", at: Self.t0, terminal: Entry.hq, data: Self.v1), signer: Entry.hq)
    let v1 = try ProgramParser.parse(Self.v1.data(using: .utf8)!)
    var atT01 = AccountState(id: Self.account)
    var enrol = try Decisions.enroll(
      card: Self.card, known: nil, referrer: nil,
      context: OperationContext(terminal: "T01", operator: "", at: Self.t0, basis: seq))
    enrol.basis = seq
    try atT01.apply(enrol, rules: StateRules(v1))
    #expect(take(enrol, signer: "T01") == nil)
    // Three visits at T01 on three days: the next purchase is Regular's.
    for day in 0..<3 {
      #expect(
        take(
          try earn(day, at: Self.t0.adding(days: day), by: "T01", on: &atT01, program: v1, basis: seq), signer: "T01")
          == nil)
    }
    // T02 syncs (basis: here), then is cut off from HQ; HQ moves to format 2 meanwhile.
    let basis = seq
    var atT02 = try #require(audit.accounts[Self.account])
    _ = take(
      Entry(kind: .program, id: "program-2", at: Self.t0.adding(days: 4), terminal: Entry.hq, data: Self.v2),
      signer: Entry.hq)
    let first = try earn(1, at: Self.t0.adding(days: 5), by: "T02", on: &atT02, program: v1, basis: basis)
    let second = try earn(
      2, at: Self.t0.adding(days: 5).adding(seconds: 600), by: "T02", on: &atT02, program: v1, basis: basis)
    #expect(first.tier == "Regular" && second.tier == "Regular" && second.points == 30)
    // Under format 2's rules T02's first earn would have dropped the older receipts, which format
    // 1's tier reads: the second would be refused as Member's.
    #expect(take(first, signer: "T02") == nil)
    #expect(take(second, signer: "T02") == nil)
    let balance = try #require(audit.accounts[Self.account]).balance
    #expect(balance == 3 * 20 + 2 * 30)
  }
}
