import Foundation
import GRDB
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// A card enrolled at one shop earns at another that has not synced since: provisionally, on the
/// card's own account, and at the sync the points are in the cardholder's balance everywhere.
@Suite("An unknown card earns offline")
struct ProvisionalEarnTests {
  let card = ChainFixture.cards[0]
  var account: String { Identities.accountID(enrolledWith: card) }
  let fresh = [PurchaseLine(category: "fresh", amount: 2_500)]

  /// T01 enrols the card and earns on it; T02, which has not synced since, earns on it
  /// provisionally. Returns the fixture and T02's provisional points.
  func enrolledAtT01EarnedAtT02() async throws -> (ChainFixture, Int64) {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: card, referrer: nil, context: f.context("T01", 0))
    _ = try t1.earn(card: card, lines: fresh, receipt: "R1", context: f.context("T01", 60))
    let t2 = try f.cache("T02")
    // Without the cashier's P on the new-card screen, an unknown card is refused as before.
    #expect(throws: RuleError.self) {
      _ = try t2.earn(card: card, lines: fresh, receipt: "R9", context: f.context("T02", 100))
    }
    let receipt = try t2.earn(
      card: card, lines: fresh, receipt: "R10", provisional: true, context: f.context("T02", 120))
    #expect(receipt.provisional && receipt.points > 0 && receipt.account == account)
    // Still unknown at T02: no balance to show, nothing to redeem.
    #expect(throws: RuleError.self) { _ = try t2.identify(card: card, at: f.context("T02", 130).at) }
    #expect(throws: RuleError.self) { _ = try t2.redeem(card: card, item: "coffee", context: f.context("T02", 140)) }
    return (f, receipt.points)
  }

  /// `loyalty-terminal ledger settle-provisional` as HQ runs it, a child process: status and output.
  /// Every terminal shows the fold's balance for the card's account, and the audit refused nothing.
  func expectConverged(_ f: ChainFixture, balance: Int64) throws {
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty, "\(fold.audit.refusals)")
    #expect(fold.accounts[account]?.balance == balance)
    for t in f.terminals {
      #expect(try f.balances(t)[account] == balance, "\(t)")
      #expect(try f.cache(t).refusedByHQ().isEmpty, "\(t)")
    }
    #expect(try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil).provisionalHolds.isEmpty)
  }

  @Test func theEnrolmentReachesHQFirst() async throws {
    let (f, points) = try await enrolledAtT01EarnedAtT02()
    let day2 = ChainFixture.start.adding(days: 2)
    let atT01 = try f.cache("T01").identify(card: card, at: day2).balance
    try await f.sync("T01", at: day2)
    try await f.sync("T02", at: day2.adding(seconds: 60))
    try await f.sync("T01", at: day2.adding(seconds: 120))
    try expectConverged(f, balance: atT01 + points)
  }

  @Test func theProvisionalEarnReachesHQFirst() async throws {
    let (f, points) = try await enrolledAtT01EarnedAtT02()
    let before = try f.cache("T01").identify(card: card, at: ChainFixture.start.adding(days: 2)).balance
    let day2 = ChainFixture.start.adding(days: 2)
    try await f.sync("T02", at: day2)
    // HQ holds points on an account no cardholder sees yet: the report says so.
    let waiting = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil).provisionalHolds
    #expect(waiting.map(\.card) == [card] && waiting.first?.belongsTo == nil && waiting.first?.points == points)
    try await f.sync("T01", at: day2.adding(seconds: 60))
    try await f.sync("T02", at: day2.adding(seconds: 120))
    try expectConverged(f, balance: before + points)
    // T02 now knows the card: its next purchase is an ordinary earn, with the balance shown.
    let next = try f.cache("T02").earn(
      card: card, lines: fresh, receipt: "R11", provisional: true, context: f.context("T02", 86_400 + 600))
    #expect(!next.provisional && next.balance == before + points + next.points)
  }

  @Test func aCardNobodyEnrolledWaitsForItsEnrolment() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t2 = try f.cache("T02")
    let first = try t2.earn(card: card, lines: fresh, receipt: "R1", provisional: true, context: f.context("T02", 0))
    let second = try t2.earn(card: card, lines: fresh, receipt: "R2", provisional: true, context: f.context("T02", 600))
    let day2 = ChainFixture.start.adding(days: 2)
    try await f.sync("T02", at: day2)
    try await f.sync("T01", at: day2.adding(seconds: 60))
    // Enrolled at T01 after both nights: the held points are the new cardholder's from the start.
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: card, referrer: nil, context: f.context("T01", 86_400 * 2))
    #expect(try t1.identify(card: card, at: day2.adding(days: 1)).balance == first.points + second.points)
    try await f.sync("T01", at: day2.adding(days: 1))
    try await f.sync("T02", at: day2.adding(days: 1).adding(seconds: 60))
    try expectConverged(f, balance: first.points + second.points)
  }

  @Test func aCardLinkedToAnotherAccountIsListedForHQ() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let old = ChainFixture.cards[1]
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: old, referrer: nil, context: f.context("T01", 0))
    _ = try t1.link(card: card, to: old, context: f.context("T01", 60))
    let earned = try f.cache("T02").earn(
      card: card, lines: fresh, receipt: "R1", provisional: true, context: f.context("T02", 120))
    let day2 = ChainFixture.start.adding(days: 2)
    try await f.sync("T01", at: day2)
    try await f.sync("T02", at: day2.adding(seconds: 60))
    let holds = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil).provisionalHolds
    #expect(holds.count == 1)
    #expect(holds.first?.card == card && holds.first?.heldOn == account && holds.first?.points == earned.points)
    let owner = Identities.accountID(enrolledWith: old)
    #expect(holds.first?.belongsTo == owner)
    // HQ's nightly `ledger settle-provisional` moves them with an adjustment pair; a second run
    // finds nothing to move.
    let before = try LedgerFold.fold(path: f.ledger.path).0.accounts[owner]?.balance ?? 0
    for (n, expected) in [(0, "moved \(earned.points) provisional points of 1 linked card"), (1, "moved 0")] {
      let run = try f.settleProvisional(at: day2.adding(seconds: 3600 + Int64(n)))
      #expect(run.status == 0 && run.output.hasPrefix(expected), "\(run.output)\(run.errors)")
    }
    try await f.sync("T01", at: day2.adding(seconds: 7200))
    try await f.sync("T02", at: day2.adding(seconds: 7260))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty && fold.audit.provisionalHolds.isEmpty)
    #expect(fold.accounts[owner]?.balance == before + earned.points)
    for t in f.terminals { #expect(try f.balances(t)[owner] == before + earned.points, "\(t)") }
    // The goods come back to T02 after the move: the reversal leaves a debt on the card's own
    // account (where the receipt is), and the next run moves the debt to the cardholder too.
    _ = try f.cache("T02").refund(receipt: "R1", amount: 2_500, context: f.context("T02", 86_400 * 2))
    try await f.sync("T02", at: day2.adding(days: 1))
    let debt = try LedgerReport.build(path: f.ledger.path, from: nil, until: nil, asOf: nil).provisionalHolds
    #expect(debt.map(\.points) == [-earned.points])
    let again = try f.settleProvisional(at: day2.adding(days: 1).adding(seconds: 60))
    #expect(again.status == 0 && again.output.hasPrefix("moved -\(earned.points)"), "\(again.output)")
    try await f.sync("T01", at: day2.adding(days: 1).adding(seconds: 120))
    try await f.sync("T02", at: day2.adding(days: 1).adding(seconds: 180))
    let (settled, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(settled.audit.provisionalHolds.isEmpty && settled.accounts[account]?.balance == 0)
    #expect(settled.accounts[owner]?.balance == before, "the purchase and its return cancel out")
    for t in f.terminals { #expect(try f.balances(t)[owner] == before, "\(t)") }
  }

  /// With a return window, only points past it move: the pending ones wait (refundable where
  /// they are) for a later run.
  @Test func pendingProvisionalPointsWaitForTheirWindowBeforeTheyMove() async throws {
    let f = try ChainFixture(terminals: 2)
    try f.publishProgram(pendingDays: 14)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let old = ChainFixture.cards[1]
    let owner = Identities.accountID(enrolledWith: old)
    _ = try f.cache("T01").enroll(card: old, referrer: nil, context: f.context("T01", 0))
    _ = try f.cache("T01").link(card: card, to: old, context: f.context("T01", 60))
    let earned = try f.cache("T02").earn(
      card: card, lines: fresh, receipt: "R1", provisional: true, context: f.context("T02", 120))
    let day2 = ChainFixture.start.adding(days: 2)
    try await f.sync("T01", at: day2)
    try await f.sync("T02", at: day2.adding(seconds: 60))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    let hold = try #require(fold.audit.provisionalHolds.first)
    let held = try #require(fold.accounts[hold.heldOn])
    let inside = ChainFixture.start.adding(days: 5)
    #expect(Decisions.settlement(of: held, card: card, to: owner, at: inside, legacyPendingDays: 14).isEmpty)
    let after = Decisions.settlement(
      of: held, card: card, to: owner, at: ChainFixture.start.adding(days: 16), legacyPendingDays: 14)
    #expect(after.map(\.points) == [-earned.points, earned.points] && after.map(\.account) == [account, owner])
  }

  /// With T02's key and its cache file: a provisional earn with points raised, and an earn on a
  /// card T02 knew marked provisional (to skip its tier), are refused entry by entry.
  @Test(arguments: [false, true])
  func aForgedProvisionalEarnIsRefused(onAKnownCard: Bool) async throws {
    let (f, _) = try await enrolledAtT01EarnedAtT02()
    var day = ChainFixture.start.adding(days: 2)
    if onAKnownCard {
      try await f.sync("T01", at: day)
      try await f.sync("T02", at: day.adding(seconds: 60))
      // T02 knows the card now; its next earn is an ordinary one, forged as provisional.
      _ = try f.cache("T02").earn(card: card, lines: fresh, receipt: "R11", context: f.context("T02", 86_400 + 600))
      day = day.adding(days: 1)
    }
    let forgery =
      onAKnownCard
      ? "UPDATE entry SET item = 'provisional' WHERE kind = 'earn' AND origin = 'local' AND synced = 0"
      : "UPDATE entry SET points = points + 100 WHERE kind = 'earn' AND origin = 'local' AND synced = 0"
    let queue = try DatabaseQueue(path: f.cachePath("T02"))
    try await queue.write { db in try db.execute(sql: forgery) }
    try queue.close()
    let summary = try await f.sync("T02", at: day)
    #expect(summary.refusedByHQ.count == 1, "\(summary.refusedByHQ)")
    try await f.sync("T01", at: day.adding(seconds: 60))
    try await f.sync("T02", at: day.adding(seconds: 120))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty, "refused at admission, never written")
    for t in f.terminals { #expect(try f.balances(t)[account] == fold.accounts[account]?.balance, "\(t)") }
  }
}
