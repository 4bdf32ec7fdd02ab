import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Failures the chain swarm found (or issue reports it now replays), each reduced to the few
/// events that cause it: they must never come back.
@Suite("Swarm findings, reduced")
struct SwarmFindingsTests {
  let fresh = [PurchaseLine(category: "fresh", amount: 2_500)]

  /// Card X earns provisionally at T03, which syncs; T01 enrols Y, then X with Y as referrer, and
  /// syncs. T02 synced before both: its next sync learns X's account (provisional earn first,
  /// then its enrolment naming a referrer it learns in the same sync). It failed for good with
  /// "FOREIGN KEY constraint failed … INSERT INTO account" (the referee's row written before its
  /// referrer's), and the counter never learnt anything again.
  @Test func aRefereeLearntBeforeItsReferrerInOneSyncDoesNotStickTheCounter() async throws {
    let f = try ChainFixture(terminals: 3)
    let start = ChainFixture.start.adding(seconds: 60)
    for t in f.terminals { try await f.sync(t, at: start) }
    let x = ChainFixture.cards[1]
    let y = ChainFixture.cards[2]
    let provisional = try f.cache("T03").earn(
      card: x, lines: fresh, receipt: "R1", provisional: true, context: f.context("T03", 0))
    #expect(provisional.provisional)
    try await f.sync("T03", at: start.adding(days: 1))
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: y, referrer: nil, context: f.context("T01", 86_400 + 100))
    _ = try t1.enroll(card: x, referrer: y, context: f.context("T01", 86_400 + 200))
    await #expect(try f.sync("T01", at: start.adding(days: 3)).sent == 2)
    let summary = try await f.sync("T02", at: start.adding(days: 3).adding(seconds: 60))
    #expect(summary.received == 2, "the states of X and Y")
    // And it goes on syncing, with every account as the ledger says.
    try await f.sync("T02", at: start.adding(days: 4))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    let shown = try f.cache("T02").balances()
    for (account, state) in fold.accounts { #expect(shown[account] == state.balance, "\(account)") }
    #expect(shown[Identities.accountID(enrolledWith: x)] == provisional.points)
  }

  /// A counter records a sale, then its clock steps back (or the sale was dated ahead) and it
  /// syncs at an earlier time: the batch was sealed before the entry's own time, which the audit
  /// refuses for good ("time … is after its batch's seal"), and the points were lost. The seal is
  /// now never earlier than the outbox's latest entry.
  @Test func aSaleDatedAfterTheSyncsTimeIsSealedAtItsOwnTime() async throws {
    let f = try ChainFixture(terminals: 1)
    try await f.sync("T01", at: ChainFixture.start.adding(seconds: 60))
    let card = ChainFixture.cards[3]
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: card, referrer: nil, context: f.context("T01", 3_600))
    let sale = try t1.earn(card: card, lines: fresh, receipt: "R1", context: f.context("T01", 3_700))
    // The clock went back half an hour before the night's sync.
    let summary = try await f.sync("T01", at: f.context("T01", 3_700).at.adding(seconds: -1_800))
    #expect(summary.sent == 2 && summary.refusedByHQ.isEmpty, "\(summary.refusedByHQ)")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.accounts[Identities.accountID(enrolledWith: card)]?.balance == sale.points)
  }
}
