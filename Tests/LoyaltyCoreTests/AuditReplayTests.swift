import LoyaltyCore
import Testing

/// HQ's audit as a value: entries handed to `AuditReplay` in ledger order, no file, no database.
@Suite("The audit as a value")
struct AuditReplayTests {
  static let t0 = UTCInstant(parsing: "2026-11-02T09:00:00Z")!
  static let json = """
    {"version": 1, "currency": "EUR", "minorUnits": 2,
     "earn": {"pointsPerUnit": "1", "categories": {"fresh": "2"}}, "promotions": [],
     "tiers": [{"name": "Member", "multiplier": "1"}], "tierWindowDays": 365,
     "expiryDays": 365, "catalogue": [{"id": "coffee", "kind": "product", "points": 30, "name": "Coffee"}],
     "limits": {"debounceSeconds": 3, "maxEarnsPerCardPerHour": 5, "offlineRedeemPointsPerDay": 500}}
    """
  static let program = try! ProgramParser.parse(json.data(using: .utf8)!)
  static let card = "6280001234567895"

  /// T01 and T02 registered (seqs 1 and 3), the program published (seq 5): the next seq is 7.
  var audit = AuditReplay()
  var seq: Int64 = 0

  init() {
    for t in ["T01", "T02"] {
      hq(Entry(kind: .terminalRegister, id: "register-\(t)", at: Self.t0, terminal: Entry.hq, ref: t, data: "k"))
    }
    hq(Entry(kind: .program, id: "program-1", at: Self.t0, terminal: Entry.hq, data: Self.json))
  }

  mutating func hq(_ e: Entry) {
    seq += 1
    _ = audit.take(e, seq: seq, signer: Entry.hq, sealedAt: Self.t0)
    seq += 1
    audit.sealed(at: seq, time: Self.t0, by: Entry.hq)
  }

  /// Takes `e` as a one-entry batch sealed by its terminal; the audit's reason when it refused it.
  mutating func batch(_ e: Entry, sealedAt: UTCInstant = t0.adding(days: 1)) -> String? {
    seq += 1
    let reason = audit.take(e, seq: seq, signer: e.terminal, sealedAt: sealedAt)
    seq += 1
    audit.sealed(at: seq, time: sealedAt, by: e.terminal)
    return reason
  }

  func context(_ t: String, minutes: Int64, basis: Int64) -> OperationContext {
    OperationContext(terminal: t, operator: "", at: Self.t0.adding(seconds: 60 * minutes), basis: basis)
  }

  func enrolment(basis: Int64) throws -> Entry {
    var e = try Decisions.enroll(
      card: Self.card, known: nil, referrer: nil, context: context("T01", minutes: 1, basis: basis))
    e.basis = basis
    return e
  }

  /// T01's earn of 20.00 EUR fresh on the card, decided as its counter does.
  func earn(basis: Int64) throws -> Entry {
    let account = Identities.accountID(enrolledWith: Self.card)
    var known = AccountState(id: account)
    known.enrolledAt = Self.t0
    let earned = try Decisions.earn(
      card: CardFacts(card: Self.card, account: account, blocked: false), cardID: Self.card, account: known,
      lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "T01/R1", receiptTaken: false, lastTap: nil,
      earnsInTrailingHour: 0, recordedBonuses: [], program: Self.program,
      context: context("T01", minutes: 2, basis: basis))
    var e = earned.entries[0]
    e.basis = basis
    return e
  }

  @Test mutating func anHonestEarnIsReDerivedAndAForgedOneIsRefusedWithItsDifference() throws {
    #expect(batch(try enrolment(basis: 6)) == nil)
    var forged = try earn(basis: 6)
    forged.points! += 100
    let reason = batch(forged)
    #expect(reason != nil, "a forged earn was accepted")
    #expect(audit.accounts[Identities.accountID(enrolledWith: Self.card)]?.balance == 0, "a refusal changed nothing")
    #expect(batch(try earn(basis: 6)) == nil, "the honest earn of the same receipt")
    #expect(audit.accounts[Identities.accountID(enrolledWith: Self.card)]?.balance == 40)
    #expect(audit.refusals.map(\.terminal) == ["T01"])
  }

  @Test mutating func aTerminalNobodyRegisteredAndABasisThatGoesBackAreRefused() throws {
    var stranger = try enrolment(basis: 6)
    stranger.terminal = "T09"
    #expect(batch(stranger)?.contains("not registered") == true)
    #expect(batch(try enrolment(basis: 6)) == nil)
    let back = batch(try earn(basis: 4))
    #expect(back?.contains("goes back") == true, "\(back ?? "accepted")")
  }

  /// After a restore, an entry decided on the history HQ lost is taken as recorded — once: after
  /// its terminal has decided on the restored ledger, a lost basis goes back and is refused.
  @Test mutating func lostHistoryIsTakenAsRecordedUntilItsTerminalSyncedPastTheRestore() throws {
    let point = seq  // the backup's end
    seq = point + 40  // the restore line jumps past the lost history
    hq(Entry(kind: .restore, id: "restore-x", at: Self.t0, terminal: Entry.hq, data: "\(point)"))
    let restoreSeq = seq - 1
    #expect(audit.restores.last?.seq == restoreSeq)
    #expect(batch(try enrolment(basis: point + 10)) == nil, "decided on the lost history")
    #expect(audit.takenAsRecorded == 1)
    #expect(batch(try earn(basis: seq)) == nil, "decided on the restored ledger")
    var late = try earn(basis: point + 20)
    late.id = "earn-T01/R9"
    late.receipt = "T01/R9"
    #expect(batch(late)?.contains("goes back") == true)
    #expect(audit.takenAsRecorded == 1)
  }

  /// A fake sale beyond the program's purchase bound: the counter's rule refuses it, and so does
  /// HQ's audit when a dishonest counter records it anyway (it re-derives by the same rule).
  @Test mutating func aPurchaseBeyondTheProgramsBoundIsRefusedByTheAudit() throws {
    let bounded = Self.json.replacingOccurrences(
      of: #""offlineRedeemPointsPerDay": 500}"#,
      with: #""offlineRedeemPointsPerDay": 500, "maxLineAmount": 50000, "maxPurchaseAmount": 100000}"#
    ).replacingOccurrences(of: #"{"version": 1,"#, with: #"{"version": 2,"#)
    let program = try ProgramParser.parse(bounded.data(using: .utf8)!)
    #expect(program.limits.maxPurchaseAmount == 100_000 && program.limits.maxLineAmount == 50_000)
    hq(Entry(kind: .program, id: "program-2", at: Self.t0, terminal: Entry.hq, data: bounded))
    #expect(batch(try enrolment(basis: seq)) == nil)
    let account = Identities.accountID(enrolledWith: Self.card)
    var known = AccountState(id: account)
    known.enrolledAt = Self.t0
    let facts = CardFacts(card: Self.card, account: account, blocked: false)
    let huge = (0..<3).map { _ in PurchaseLine(category: "fresh", amount: 40_000) }
    func earn(_ p: LoyaltyProgram) throws(RuleError) -> Decisions.Earn {
      try Decisions.earn(
        card: facts, cardID: Self.card, account: known, lines: huge, receipt: "T01/R7", receiptTaken: false,
        lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [], program: p,
        context: context("T01", minutes: 2, basis: seq))
    }
    let atCounter = #expect(throws: RuleError.self) { try earn(program) }
    #expect(atCounter?.message.contains("more than one may be") == true, "\(String(describing: atCounter))")
    // A dishonest counter decides it without the bound and records it.
    var unbounded = program
    unbounded.limits.maxPurchaseAmount = nil
    var forged = try earn(unbounded).entries[0]
    forged.basis = seq
    let reason = batch(forged)
    #expect(reason?.contains("more than one may be") == true, "\(reason ?? "accepted")")
    #expect(audit.accounts[account]?.balance == 0)
  }
}
