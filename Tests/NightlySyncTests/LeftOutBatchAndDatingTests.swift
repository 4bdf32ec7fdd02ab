import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Issue 19: a batch written past the admission must not stop the next day's points, and the
/// return window cannot be dodged by dating an earn ahead of a redemption.
@Suite("A left-out batch and a dated earn")
struct LeftOutBatchAndDatingTests {
  let card = ChainFixture.cards[0]
  var account: String { Identities.accountID(enrolledWith: card) }
  static let day1 = ChainFixture.start.adding(days: 1)

  /// One batch appended straight to HQ's file, sealed by a key HQ never registered: every reader
  /// leaves it out, a terminal's checkpoint moves past it, and its next entries (decided on that
  /// position) are admitted.
  @Test func honestEntriesDecidedAfterAJunkBatchAreAdmitted() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 0))
    try await f.sync("T01", at: Self.day1.adding(seconds: 3600))
    let junkKey = try LedgerKey.generate(at: f.directory.appendingPathComponent("junk.key").path)
    try f.ledger.withExclusiveLock { locked in
      var state = try locked.audited(repairing: false).state
      state.terminals["T99"] = junkKey.publicKeyBase64  // only so `append` writes it
      let junk = Entry(
        kind: .earn, id: "earn-T99/J1", at: Self.day1.adding(seconds: 3700), terminal: "T99", account: account,
        card: card, points: 5_000, amount: 100, currency: "EUR", receipt: "T99/J1",
        lines: [PurchaseLine(category: "fresh", amount: 100)], version: 1, tier: "Bronze", basis: state.lastSeq)
      _ = try locked.append(
        [LedgerEntry(junk)], after: &state, signer: "T99", key: junkKey, at: Self.day1.adding(seconds: 3700))
    }
    let learnt = try await f.sync("T01", at: Self.day1.adding(seconds: 3800))
    #expect(learnt.excluded.count == 1, "\(learnt.excluded)")
    let earned = try f.cache("T01").earn(
      card: card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R2",
      context: f.context("T01", 7200))
    let summary = try await f.sync("T01", at: Self.day1.adding(seconds: 8000))
    #expect(summary.sent == 1 && summary.refusedByHQ.isEmpty, "\(summary.refusedByHQ)")
    try await f.sync("T02", at: Self.day1.adding(seconds: 8100))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty, "\(fold.audit.refusals)")
    #expect(fold.exclusions.count == 1)
    #expect(fold.accounts[account]?.balance == earned.points)
    for t in f.terminals { #expect(try f.balances(t)[account] == earned.points, "\(t)") }
  }

  /// With a 14-day return window: an earn dated 20 h ahead, a redemption dated now and a refund
  /// of the whole purchase, in one batch. The earn's points are pending at the redemption (a
  /// purchase dated after the moment is not available then): the admission refuses the redemption.
  @Test func anEarnDatedAheadIsPendingAtAnEarlierRedemption() async throws {
    let f = try ChainFixture(terminals: 1)
    try f.publishProgram(pendingDays: 14)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let (before, _) = try LedgerFold.fold(path: f.ledger.path)
    let program = try #require(before.program)
    #expect(program.pendingDays == 14)
    let basis = try LedgerVerifier().verify(path: f.ledger.path).lastSeq
    func context(_ at: UTCInstant) -> OperationContext {
      OperationContext(terminal: "T01", operator: "x", at: at, basis: basis)
    }
    let now = Self.day1
    let ahead = now.adding(seconds: 20 * 3600)
    let enrol = try Decisions.enroll(card: card, known: nil, referrer: nil, context: context(now))
    var state = AccountState(id: account)
    try state.apply(enrol, rules: StateRules(expiryDays: 365))
    let facts = CardFacts(card: card, account: account, blocked: false)
    let earn = try Decisions.earn(
      card: facts, cardID: card, account: state, lines: [PurchaseLine(category: "fresh", amount: 25_000)],
      receipt: "T01/R1", receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [],
      program: program, context: context(ahead)
    ).entries[0]
    #expect(earn.points == 1_000)
    try state.apply(earn, rules: StateRules(expiryDays: 365))
    // What the redemption would be, had the decision let it through.
    let at = now.adding(seconds: 60)
    let redeem = Entry(
      kind: .redeem, id: "redeem-T01-\(at.seconds)-1", at: at, terminal: "T01", account: account, card: card,
      points: -1_000, data: "gift10", version: Int64(program.version), basis: basis)
    #expect(throws: RuleError.self, "the counter's own decision refuses it") {
      _ = try Decisions.redeem(
        card: facts, cardID: card, account: state, item: "gift10", redeemedTodayHere: 0, sequence: 1,
        program: program, context: context(at))
    }
    let refund = try Decisions.refund(
      receipt: "T01/R1", receipt: state.receipts["T01/R1"], amount: 25_000, earlierReversals: 0, program: program,
      context: context(now.adding(seconds: 120)))
    let key = try LedgerKey.load(from: f.keyPath("T01"))
    let submitted = try f.ledger.withExclusiveLock { locked in
      var audited = try locked.audited(repairing: false)
      return try locked.submit(
        [enrol, earn, redeem, refund], to: &audited, since: audited.state.offset, signer: "T01", key: key,
        at: ahead.adding(seconds: 60))
    }
    #expect(submitted.refused.map(\.entry.id) == [redeem.id], "\(submitted.refused.map(\.reason))")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.accounts[account]?.balance == 0, "the purchase and its refund cancel out; nothing redeemed")
  }

  /// The one rule: points of a purchase dated after `t` are pending at `t`, not available.
  @Test func pointsOfAPurchaseDatedLaterArePending() throws {
    var state = AccountState(id: account)
    let t = Self.day1
    let earn = Entry(
      kind: .earn, id: "earn-T01/R1", at: t.adding(seconds: 3600), terminal: "T01", account: account, card: card,
      points: 500, amount: 1_000, currency: "EUR", receipt: "T01/R1", basis: 0)
    try state.apply(earn, rules: StateRules(expiryDays: 365))
    #expect(state.pending(at: t, legacyPendingDays: 14) == 500)
    #expect(state.available(at: t, legacyPendingDays: 14) == 0)
    #expect(state.available(at: t.adding(days: 15), legacyPendingDays: 14) == 500)
    #expect(state.available(at: t, legacyPendingDays: 0) == 500, "no return window: nothing is pending")
  }
}
