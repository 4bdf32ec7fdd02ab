import Foundation
import Ledger
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
  @Test func honestEntriesDecidedAfterAJunkBatchAreAdmitted() throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 0))
    try f.sync("T01", at: Self.day1.adding(seconds: 3600))
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
    let learnt = try f.sync("T01", at: Self.day1.adding(seconds: 3800))
    #expect(learnt.excluded.count == 1, "\(learnt.excluded)")
    let earned = try f.cache("T01").earn(
      card: card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "R2",
      context: f.context("T01", 7200))
    let summary = try f.sync("T01", at: Self.day1.adding(seconds: 8000))
    #expect(summary.sent == 1 && summary.refusedByHQ.isEmpty, "\(summary.refusedByHQ)")
    try f.sync("T02", at: Self.day1.adding(seconds: 8100))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty, "\(fold.audit.refusals)")
    #expect(fold.exclusions.count == 1)
    #expect(fold.accounts[account]?.balance == earned.points)
    for t in f.terminals { #expect(try f.balances(t)[account] == earned.points, "\(t)") }
  }
}
