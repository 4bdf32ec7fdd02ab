import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import PointsCache
import TestSupport

/// A chain of three shops for the fraud detectors: honest traffic on its second day (customers
/// earning and redeeming at their home shop, a referral with a real first purchase), and with
/// `fraud`, each detector's pattern on its third day and a dormant account redeemed elsewhere on
/// 2026-12-10. The program (version 2) sets low thresholds in its `fraud` object.
struct FraudChain {
  let f: ChainFixture
  let cards = ChainFixture.cards
  static let fraudDay = ChainFixture.start.adding(days: 2)
  static let dormantRedeemAt = ChainFixture.start.adding(days: 39)
  /// The program's `fraud` object.
  static let thresholds =
    #"{"maxCardEarnsPerDay": 4, "dormantDays": 30, "minReferees": 2, "firstPurchaseMarginPercent": 10}"#

  var hqKeyPath: String { f.directory.appendingPathComponent("hq.key").path }

  /// The example program as version 2 with `thresholds`.
  static func program(_ fraud: String) -> String {
    ChainFixture.program.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 2,")
      .replacingOccurrences(of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"fraud\": \(fraud),")
  }

  init(fraud: Bool, thresholds: String = FraudChain.thresholds) async throws {
    f = try ChainFixture(terminals: 3)
    let at = ChainFixture.start.adding(seconds: 30)
    try f.ledger.append(
      [LedgerEntry(kind: .program, id: "program-2", at: at, terminal: "HQ", data: Self.program(thresholds))],
      signer: "HQ", key: f.hq, at: at)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    try honestDay()
    try await syncAll(at: Self.fraudDay)
    guard fraud else { return }
    try fraudDay()
    try await syncAll(at: Self.fraudDay.adding(days: 1))
    // Card 3, T02's customer, quiet since its purchase on day 2, redeemed at T01 38 days later.
    _ = try f.cache("T01").redeem(card: cards[3], item: "coffee", context: f.context("T01", 38 * 86_400))
    try await syncAll(at: Self.dormantRedeemAt.adding(days: 1))
  }

  /// Each shop's customers at their home shop: T01 enrols cards 0-2 and 9 (referred by card 0,
  /// first purchase 150.00), T02 cards 3-4, T03 card 5; each earns once; card 0 redeems at T01.
  func honestDay() throws {
    let homes = [("T01", [0, 1, 2]), ("T02", [3, 4]), ("T03", [5])]
    for (t, numbers) in homes {
      let cache = try f.cache(t)
      for n in numbers {
        _ = try cache.enroll(card: cards[n], referrer: nil, context: f.context(t, Int64(n * 100)))
        _ = try cache.earn(
          card: cards[n], lines: [PurchaseLine(category: "fresh", amount: 20_000)], receipt: "R\(n)",
          context: f.context(t, Int64(n * 100 + 10)))
      }
    }
    let t1 = try f.cache("T01")
    _ = try t1.redeem(card: cards[0], item: "coffee", context: f.context("T01", 2_000))
    _ = try t1.enroll(card: cards[9], referrer: cards[0], context: f.context("T01", 2_100))
    _ = try t1.earn(
      card: cards[9], lines: [PurchaseLine(category: "fresh", amount: 15_000)], receipt: "R9",
      context: f.context("T01", 2_110))
  }

  /// The third day's patterns: card 6 (T01's) on five of T01's baskets; cards 7 and 8 enrolled at
  /// T03 with card 5 as referrer, each with a first purchase of exactly the minimum (20.00); T01
  /// links card 10 to card 4 (T02's customer); T02 blocks card 2 (T01's); T03 refunds T01's
  /// receipt R1.
  func fraudDay() throws {
    let day = Int64(86_400)
    let t1 = try f.cache("T01")
    _ = try t1.enroll(card: cards[6], referrer: nil, context: f.context("T01", day + 600))
    for n in 1...5 {
      _ = try t1.earn(
        card: cards[6], lines: [PurchaseLine(category: "fuel", amount: 3_000 + Int64(n))], receipt: "X\(n)",
        context: f.context("T01", day + Int64(n * 1_200)))
    }
    let t3 = try f.cache("T03")
    for n in [7, 8] {
      _ = try t3.enroll(card: cards[n], referrer: cards[5], context: f.context("T03", day + Int64(n * 100)))
      _ = try t3.earn(
        card: cards[n], lines: [PurchaseLine(category: "fuel", amount: 2_000)], receipt: "Q\(n)",
        context: f.context("T03", day + Int64(n * 100 + 10)))
    }
    _ = try t1.link(card: cards[10], to: cards[4], context: f.context("T01", day + 9_000))
    try f.cache("T02").block(card: cards[2], context: f.context("T02", day + 9_100))
    _ = try t3.refund(receipt: "T01/R1", amount: 20_000, card: cards[1], context: f.context("T03", day + 9_200))
  }

  /// Every terminal syncs twice, so each has the others' entries.
  func syncAll(at: UTCInstant) async throws {
    for (i, t) in (f.terminals + f.terminals).enumerated() { try await f.sync(t, at: at.adding(seconds: Int64(i))) }
  }
}
