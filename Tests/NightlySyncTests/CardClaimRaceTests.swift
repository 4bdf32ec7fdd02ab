import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// A new card enrolled at one counter (T02) while another (T01), not synced since, links it to an
/// existing cardholder's account: the card is claimed twice. Whichever batch reaches HQ first,
/// both claims are admitted with every earn on them (none was lost), and the card's points go
/// where `CardClaim` says: the enrolment stands, except at the counter that made the link, whose
/// own claim stands for its own entries — a counter that learns both claims in one delta (T03)
/// agrees with HQ's audit — and a block on either account blocks the card everywhere.
@Suite("A card enrolled at one counter and linked at another, both offline")
struct CardClaimRaceTests {
  static let holder = ChainFixture.cards[0]
  static let card = ChainFixture.cards[5]
  static let day = Int64(86_400)

  /// The holder enrolled at T01 and known everywhere; the next day, T02 enrols the new card.
  static func enrolTheCardAtT02(_ f: ChainFixture) async throws {
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    _ = try f.cache("T01").enroll(card: holder, referrer: nil, context: f.context("T01", 100))
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 3_610)) }
    _ = try f.cache("T02").enroll(card: card, referrer: nil, context: f.context("T02", day + 100))
  }

  @Test(arguments: [["T02", "T01"], ["T01", "T02"]])
  func noEarnOnEitherClaimIsLostAndEveryCounterAgreesWithHQ(order: [String]) async throws {
    let f = try ChainFixture(terminals: 3)
    try await Self.enrolTheCardAtT02(f)
    let day = Self.day
    _ = try f.cache("T02").earn(
      card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R2",
      context: f.context("T02", day + 200))
    _ = try f.cache("T01").link(card: Self.card, to: Self.holder, context: f.context("T01", day + 300))
    let linked = try f.cache("T01").earn(
      card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 3_000)], receipt: "R1",
      context: f.context("T01", day + 400))
    let holderAccount = linked.account
    let own = Identities.accountID(enrolledWith: Self.card)
    #expect(holderAccount != own)
    for (i, t) in (order + ["T03"] + order).enumerated() {
      let s = try await f.sync(t, at: ChainFixture.start.adding(days: 2).adding(seconds: Int64(i)))
      #expect(s.refusedByHQ.isEmpty, "\(order) \(t): \(s.refusedByHQ)")
    }
    #expect(try LedgerAccountLookup.owner(of: Self.card, path: f.ledger.path).account == own, "the enrolment stands")
    // The next day each counter earns on the card: the linking counter on the holder's account,
    // the others on the card's own; HQ admits all three.
    for (i, t) in f.terminals.enumerated() {
      let earn = try f.cache(t).earn(
        card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "N\(i)",
        context: f.context(t, 3 * day + Int64(i * 100)))
      #expect(earn.account == (t == "T01" ? holderAccount : own), "\(order) \(t)")
    }
    for (i, t) in (f.terminals + f.terminals).enumerated() {
      let s = try await f.sync(t, at: ChainFixture.start.adding(days: 4).adding(seconds: Int64(i)))
      #expect(s.refusedByHQ.isEmpty, "\(order) \(t): \(s.refusedByHQ)")
    }
    let (fold, _) = try LedgerFold.fold(path: f.ledger.path)
    #expect(fold.audit.refusals.isEmpty)
    let twice = fold.audit.cardsClaimedTwice.map { "\($0.card) \($0.stands) \($0.others)" }
    #expect(twice == ["\(Self.card) \(own) \([holderAccount])"], "ledger report lists the split")
    let hq = Dictionary(uniqueKeysWithValues: fold.balances.map { ($0.account, $0.balance) })
    #expect(hq[holderAccount] == 160 && hq[own] == 160, "\(hq)")
    for t in f.terminals {
      // Every counter holds both accounts as HQ does; the card shows the one its claim gives.
      let balances = try f.cache(t).replicaStates().mapValues(\.balance)
      #expect(balances == hq, "\(t): \(balances) against \(hq)")
      let shown = try f.cache(t).identify(card: Self.card, at: ChainFixture.start.adding(days: 5)).account
      #expect(shown == (t == "T01" ? holderAccount : own), "\(t)")
      #expect(try f.cache(t).consistencyProblems().isEmpty, "\(t)")
    }
  }

  /// The card reported lost at the linking counter before it synced: the block is on the
  /// holder's account, and every counter refuses the card, though it stands on its own account
  /// at the other two.
  @Test func aBlockOnEitherClaimBlocksTheCardEverywhere() async throws {
    let f = try ChainFixture(terminals: 3)
    try await Self.enrolTheCardAtT02(f)
    let day = Self.day
    _ = try f.cache("T01").link(card: Self.card, to: Self.holder, context: f.context("T01", day + 300))
    try f.cache("T01").block(card: Self.card, context: f.context("T01", day + 500))
    for (i, t) in ["T02", "T01", "T03", "T02"].enumerated() {
      let s = try await f.sync(t, at: ChainFixture.start.adding(days: 2).adding(seconds: Int64(i)))
      #expect(s.refusedByHQ.isEmpty, "\(t): \(s.refusedByHQ)")
    }
    for (i, t) in f.terminals.enumerated() {
      let view = try f.cache(t).identify(card: Self.card, at: ChainFixture.start.adding(days: 3))
      let expected = Identities.accountID(enrolledWith: t == "T01" ? Self.holder : Self.card)
      #expect(view.blocked && view.account == expected, "\(t)")
      #expect(throws: RuleError.self, "\(t) earned on a lost card") {
        try f.cache(t).earn(
          card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "L\(i)",
          context: f.context(t, 3 * day + Int64(i * 100)))
      }
    }
  }

  /// The linking counter in a region that does not hold the card's own account (enrolled in the
  /// other region): it keeps deciding on the holder's account, as its own claim, and HQ admits it
  /// (found by the swarm, seed 156, when the enrolment stood for the linking counter too).
  @Test func aRegionsLinkingCounterKeepsItsOwnClaim() async throws {
    let regions = #"{"days": 2, "shops": {"north": ["T01"], "south": ["T02"]}}"#
    let f = try ChainFixture(terminals: 2, program: ChainFixture.program(regions: regions))
    try await Self.enrolTheCardAtT02(f)
    let day = Self.day
    _ = try f.cache("T01").link(card: Self.card, to: Self.holder, context: f.context("T01", day + 300))
    for (i, t) in ["T02", "T01", "T02"].enumerated() {
      let s = try await f.sync(t, at: ChainFixture.start.adding(days: 2).adding(seconds: Int64(i)))
      #expect(s.refusedByHQ.isEmpty, "\(t): \(s.refusedByHQ)")
    }
    let earn = try f.cache("T01").earn(
      card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 1_000)], receipt: "N1",
      context: f.context("T01", 3 * day))
    #expect(earn.account == Identities.accountID(enrolledWith: Self.holder))
    let s = try await f.sync("T01", at: ChainFixture.start.adding(days: 4))
    #expect(s.refusedByHQ.isEmpty && s.sent == 1, "\(s)")
  }
}
