import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// Issue 19: provisional points stay with whoever holds the card. A link of a card that, on the
/// link's basis, already has provisional earns of its own is refused (enrol it as its own
/// account); provisional points move only to an account the card was linked to without sight of
/// them. The holder's counter keeps syncing either way.
@Suite("Provisional points cannot be drained")
struct ProvisionalDrainTests {
  /// The holder's card (never enrolled) and the accomplice's.
  let card = ChainFixture.cards[0]
  let accompliceCard = ChainFixture.cards[1]
  var own: String { Identities.accountID(enrolledWith: card) }
  var accomplice: String { Identities.accountID(enrolledWith: accompliceCard) }
  static let day1 = ChainFixture.start.adding(days: 1)
  let fresh = [PurchaseLine(category: "fresh", amount: 2_500)]

  /// T01 is the holder's counter (provisional earns on the card), T02 the attacker's shop, which
  /// has synced the provisional earn and enrolled the accomplice.
  func chainWhereTheAttackerSawTheEarn() async throws -> (ChainFixture, Int64) {
    let f = try ChainFixture(terminals: 3)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    _ = try f.cache("T02").enroll(card: accompliceCard, referrer: nil, context: f.context("T02", 0))
    let earned = try f.cache("T01").earn(
      card: card, lines: fresh, receipt: "R1", provisional: true, context: f.context("T01", 60))
    try await f.sync("T01", at: Self.day1.adding(seconds: 3600))
    try await f.sync("T02", at: Self.day1.adding(seconds: 3700))
    return (f, earned.points)
  }

  @Test func aLinkOfACardWithProvisionalPointsSeenIsRefused() async throws {
    let (f, points) = try await chainWhereTheAttackerSawTheEarn()
    let at = Self.day1.adding(seconds: 4000)
    // The counter's own decision refuses it.
    #expect(throws: RuleError.self) {
      _ = try f.cache("T02").link(
        card: card, to: accompliceCard, context: .init(terminal: "T02", operator: "x", at: at))
    }
    // So does HQ's admission, for a link made past the counter's decision (T02's key and cache).
    let basis = try LedgerVerifier().verify(path: f.ledger.path).lastSeq
    let link = Entry(
      kind: .link, id: "link-\(card)", at: at, terminal: "T02", account: accomplice, card: card, points: 0,
      ref: accompliceCard, basis: basis)
    let key = try LedgerKey.load(from: f.keyPath("T02"))
    let submitted = try f.ledger.withExclusiveLock { locked in
      var audited = try locked.audited(repairing: false)
      return try locked.submit(
        [link], to: &audited, since: audited.state.offset, signer: "T02", key: key, at: at.adding(seconds: 60))
    }
    #expect(submitted.appended.isEmpty)
    #expect(submitted.refused.first?.reason.contains("points of its own") == true, "\(submitted.refused)")
    // The holder keeps earning at T01 and enrols the card there: every point is theirs, and
    // T01's entries are all admitted.
    try await f.sync("T01", at: Self.day1.adding(seconds: 5000))
    let second = try f.cache("T01").earn(
      card: card, lines: fresh, receipt: "R2", provisional: true, context: f.context("T01", 6000))
    let summary = try await f.sync("T01", at: Self.day1.adding(seconds: 7000))
    #expect(summary.sent == 1 && summary.refusedByHQ.isEmpty, "\(summary.refusedByHQ)")
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 86_400))
    let enrolled = try await f.sync("T01", at: Self.day1.adding(days: 1).adding(seconds: 3600))
    #expect(enrolled.sent == 1 && enrolled.refusedByHQ.isEmpty, "\(enrolled.refusedByHQ)")
    for t in f.terminals { try await f.sync(t, at: Self.day1.adding(days: 1).adding(seconds: 4000)) }
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty && fold.audit.provisionalHolds.isEmpty)
    #expect(fold.accounts[own]?.balance == points + second.points)
    #expect((fold.accounts[accomplice]?.balance ?? 0) == 0)
    for t in f.terminals { #expect(try f.balances(t)[own] == points + second.points, "\(t)") }
  }

  /// The honest offline case: T02 links the card to a customer's account before it has synced
  /// the provisional earn (its basis does not show it): admitted, and HQ's settlement moves the
  /// points. The holder's counter T01 keeps recording on the card — provisionally until it learns
  /// the link, then on the account — and every entry of it is admitted, night after night.
  @Test func anOfflineLinkSettlesAndTheHoldersCounterKeepsSyncing() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t2 = try f.cache("T02")
    _ = try t2.enroll(card: accompliceCard, referrer: nil, context: f.context("T02", 0))
    _ = try t2.link(card: card, to: accompliceCard, context: f.context("T02", 30))
    let first = try f.cache("T01").earn(
      card: card, lines: fresh, receipt: "R1", provisional: true, context: f.context("T01", 60))
    try await f.sync("T01", at: Self.day1.adding(seconds: 3600))
    try await f.sync("T02", at: Self.day1.adding(seconds: 3700))
    // Another provisional earn at T01 before it learns the link.
    let second = try f.cache("T01").earn(
      card: card, lines: fresh, receipt: "R2", provisional: true, context: f.context("T01", 4000))
    let settled = try runToCompletion(
      BuiltProducts.loyaltyHQ,
      [
        "ledger", "settle-provisional", "--ledger", f.ledger.path, "--hq-key",
        f.directory.appendingPathComponent("hq.key").path, "--at", Self.day1.adding(seconds: 5000).description,
      ])
    #expect(
      settled.status == 0 && settled.output.hasPrefix("moved \(first.points)"), "\(settled.output)\(settled.errors)")
    var total = first.points + second.points
    for night in 1...3 {
      let s = try await f.sync("T01", at: Self.day1.adding(days: night - 1).adding(seconds: 6000))
      #expect(s.refusedByHQ.isEmpty, "night \(night): \(s.refusedByHQ)")
      let run = try runToCompletion(
        BuiltProducts.loyaltyHQ,
        [
          "ledger", "settle-provisional", "--ledger", f.ledger.path, "--hq-key",
          f.directory.appendingPathComponent("hq.key").path, "--at",
          Self.day1.adding(days: night - 1).adding(seconds: 6500).description,
        ])
      #expect(run.status == 0, "\(run.errors)")
      let next = try f.cache("T01").earn(
        card: card, lines: fresh, receipt: "R\(night + 2)", provisional: true,
        context: f.context("T01", Int64(night) * 86_400))
      #expect(!next.provisional, "night \(night): T01 knows the card now")
      total += next.points
    }
    let last = try await f.sync("T01", at: Self.day1.adding(days: 4))
    #expect(last.refusedByHQ.isEmpty, "\(last.refusedByHQ)")
    try await f.sync("T02", at: Self.day1.adding(days: 4).adding(seconds: 60))
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty && fold.audit.provisionalHolds.isEmpty, "\(fold.audit.provisionalHolds)")
    #expect(fold.accounts[accomplice]?.balance == total)
    for t in f.terminals { #expect(try f.balances(t)[accomplice] == total, "\(t)") }
  }

  /// The holder enrols the card at its counter before it learns a link made elsewhere: its own
  /// claim stands for it (its cache keeps it), so its counter's entries on the card are admitted
  /// night after night, and nothing is moved off the account it enrolled.
  @Test func aHolderWhoEnrolsBeforeLearningALinkKeepsSyncing() async throws {
    let f = try ChainFixture(terminals: 2)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t2 = try f.cache("T02")
    _ = try t2.enroll(card: accompliceCard, referrer: nil, context: f.context("T02", 0))
    _ = try t2.link(card: card, to: accompliceCard, context: f.context("T02", 30))
    var total = try f.cache("T01").earn(
      card: card, lines: fresh, receipt: "R1", provisional: true, context: f.context("T01", 60)
    ).points
    try await f.sync("T02", at: Self.day1.adding(seconds: 3600))
    _ = try f.cache("T01").enroll(card: card, referrer: nil, context: f.context("T01", 3700))
    for night in 1...3 {
      let s = try await f.sync("T01", at: Self.day1.adding(days: night - 1).adding(seconds: 6000))
      #expect(s.refusedByHQ.isEmpty, "night \(night): \(s.refusedByHQ)")
      let run = try runToCompletion(
        BuiltProducts.loyaltyHQ,
        [
          "ledger", "settle-provisional", "--ledger", f.ledger.path, "--hq-key",
          f.directory.appendingPathComponent("hq.key").path, "--at",
          Self.day1.adding(days: night - 1).adding(seconds: 6500).description,
        ])
      #expect(run.status == 0 && run.output.hasPrefix("moved 0"), "night \(night): \(run.output)\(run.errors)")
      total += try f.cache("T01").earn(
        card: card, lines: fresh, receipt: "R\(night + 2)", context: f.context("T01", Int64(night) * 86_400)
      ).points
    }
    let last = try await f.sync("T01", at: Self.day1.adding(days: 4))
    #expect(last.refusedByHQ.isEmpty, "\(last.refusedByHQ)")
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty, "\(fold.audit.refusals)")
    #expect(fold.accounts[own]?.balance == total, "the holder's points stay on the account it enrolled")
    #expect(try f.balances("T01")[own] == total)
  }
}
