import Foundation
import LoyaltyCore
import PointsCache
import Testing

/// Points pending through the return window (`pendingDays`): in the balance, not redeemable;
/// a refund inside the window reverses them first; redeemable once the window closes.
@Suite("Pending points")
struct PendingPointsTests {
  let card = "6280001234567895"

  func at(_ time: String) -> OperationContext { CacheFixture.context("T01", time) }

  @Test func pointsArePendingThroughTheReturnWindowAndARefundInsideItReversesThem() throws {
    let json = CacheFixture.programJSON.replacingOccurrences(
      of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"pendingDays\": 14,")
    let program = try ProgramParser.parse(Data(json.utf8))
    #expect(program.pendingDays == 14)
    let f = try CacheFixture()
    try f.cache.loadProgram(program, json: json, context: at("2026-11-01T00:00:00Z"))
    _ = try f.cache.enroll(card: card, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    // 100.00 EUR of fresh goods in the double-points month: 400 points.
    _ = try f.cache.earn(
      card: card, lines: [PurchaseLine(category: "fresh", amount: 10_000)], receipt: "R1",
      context: at("2026-11-02T09:01:00Z"))
    let sameDay = try f.cache.identify(card: card, at: UTCInstant(parsing: "2026-11-02T09:01:00Z")!)
    #expect(sameDay.balance == 400 && sameDay.pending == 400 && sameDay.available == 0)

    // Buy, redeem, return the goods: the redemption is refused while the points are pending.
    let refused = #expect(throws: RuleError.self) {
      try f.cache.redeem(card: card, item: "coffee", context: at("2026-11-03T10:00:00Z"))
    }
    #expect(refused?.reason == .insufficientBalance)
    #expect(refused?.message.contains("400 more are pending") == true, "\(refused?.message ?? "")")

    // Half the goods returned inside the window: the pending points go, nothing available moves.
    _ = try f.cache.refund(receipt: "T01/R1", amount: 5_000, context: at("2026-11-05T10:00:00Z"))
    let afterRefund = try f.cache.identify(card: card, at: UTCInstant(parsing: "2026-11-05T10:00:00Z")!)
    #expect(afterRefund.balance == 200 && afterRefund.pending == 200 && afterRefund.available == 0)

    // One second before the window closes: still pending; at its close: redeemable.
    let lastPending = try f.cache.identify(card: card, at: UTCInstant(parsing: "2026-11-16T09:00:59Z")!)
    #expect(lastPending.pending == 200)
    let closed = try f.cache.identify(card: card, at: UTCInstant(parsing: "2026-11-16T09:01:00Z")!)
    #expect(closed.pending == 0 && closed.available == 200)
    let redeemed = try f.cache.redeem(card: card, item: "coffee", context: at("2026-11-16T09:02:00Z"))
    #expect(redeemed.points == 150 && redeemed.balance == 50)
  }

  @Test func aReturnWindowAsLongAsTheExpiryIsRefused() throws {
    let json = CacheFixture.programJSON.replacingOccurrences(
      of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"pendingDays\": 365,")
    let problems = #expect(throws: ValidationProblems.self) { try ProgramParser.parse(Data(json.utf8)) }
    #expect(problems?.description.contains("pendingDays") == true)
  }
}
