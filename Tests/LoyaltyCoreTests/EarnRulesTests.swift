import LoyaltyCore
import Testing

@Suite("Earning rules, exactly")
struct EarnRulesTests {
  let p = Fixtures.program
  var bronze: LoyaltyProgram.Tier { p.tiers[0] }
  let t = Fixtures.t

  func points(_ lines: [(String, Int64)], at time: String, tier: Int = 0) throws -> Int64 {
    try EarnRules.points(
      for: lines.map { PurchaseLine(category: $0.0, amount: $0.1) }, at: t(time), tier: p.tiers[tier], in: p)
  }

  @Test(
    arguments: [
      // from is inclusive, until exclusive: fresh ×2 rate ×2 promotion on 12.50 EUR = 50 points.
      ("2026-10-31T23:59:59Z", 25), ("2026-11-01T00:00:00Z", 50), ("2026-11-30T23:59:59Z", 50),
      ("2026-12-01T00:00:00Z", 25),
    ] as [(String, Int64)])
  func promotionBoundaries(_ time: String, _ expected: Int64) throws {
    #expect(try points([("fresh", 1250)], at: time) == expected)
  }

  @Test func promotionsDoNotStackAndOnlyTheirCategoriesCount() throws {
    var q = p
    q.promotions.append(
      .init(
        id: "all-x3", from: t("2026-11-10T00:00:00Z"), until: t("2026-11-11T00:00:00Z"), categories: nil,
        multiplier: Decimal4(parsing: "3")!))
    #expect(EarnRules.promotionFactor(for: "fresh", at: t("2026-11-10T12:00:00Z"), in: q) == Decimal4(parsing: "3"))
    #expect(EarnRules.promotionFactor(for: "fresh", at: t("2026-11-12T12:00:00Z"), in: q) == Decimal4(parsing: "2"))
    #expect(EarnRules.promotionFactor(for: "fuel", at: t("2026-11-12T12:00:00Z"), in: q) == .one)
  }

  @Test(arguments: [(1999, 9), (1, 0), (3, 0), (101, 0), (199, 0), (200, 1), (4001, 20)] as [(Int64, Int64)])
  func halfRateOnOddAmountsFloorsOnlyAtTheEnd(_ amount: Int64, _ expected: Int64) throws {
    // fuel "0.5": 19.99 EUR → 9.995 → 9.
    #expect(try points([("fuel", amount)], at: "2026-10-01T00:00:00Z") == expected)
  }

  @Test func linesAreSummedBeforeFlooring() throws {
    // Three fuel lines of 1.01 EUR: 0.505 each, 1.515 together → 1 (flooring each line would give 0).
    #expect(try points([("fuel", 101), ("fuel", 101), ("fuel", 101)], at: "2026-10-01T00:00:00Z") == 1)
    #expect(try points([("tobacco", 5000), ("other", 1234)], at: "2026-10-01T00:00:00Z") == 12)
  }

  @Test func tierMultiplierAppliesToTheBasket() throws {
    // 10.00 EUR of "other" at Silver 1.25 → 12.5 → 12; at Gold 1.5 → 15.
    #expect(try points([("other", 1000)], at: "2026-10-01T00:00:00Z", tier: 1) == 12)
    #expect(try points([("other", 1000)], at: "2026-10-01T00:00:00Z", tier: 2) == 15)
  }

  @Test(
    arguments: [
      (49_999, 11, "Bronze"), (50_000, 1, "Silver"), (0, 12, "Silver"), (199_999, 39, "Silver"), (200_000, 1, "Gold"),
      (0, 40, "Gold"),
    ] as [(Int64, Int, String)])
  func tierBoundariesExactlyAtThresholds(_ spend: Int64, _ visits: Int, _ expected: String) {
    // `visits` purchases in the window; the first carries the whole spend.
    let now = t("2026-11-15T12:00:00Z")
    let history = (0..<visits).map {
      PurchaseFact(at: now.adding(days: -($0 + 1)), amount: $0 == 0 ? spend : 0, refunded: 0)
    }
    let result = EarnRules.tier(at: now, history: history, in: p)
    #expect(result.spend == spend && result.visits == visits)
    #expect(result.tier.name == expected)
  }

  @Test func tierWindowIsOpenAtBothEndsAndNetOfRefunds() {
    let now = t("2026-11-15T12:00:00Z")
    let history = [
      PurchaseFact(at: now.adding(days: -365), amount: 100_000, refunded: 0),  // exactly at the window's start: out
      PurchaseFact(at: now, amount: 100_000, refunded: 0),  // the instant itself: out
      PurchaseFact(at: now.adding(days: -10), amount: 60_000, refunded: 20_000),  // 40 000 net
    ]
    let r = EarnRules.tier(at: now, history: history, in: p)
    #expect(r.spend == 40_000 && r.visits == 1 && r.tier.name == "Bronze")
  }

  @Test func partialRefundsSumToExactlyThePoints() throws {
    // A receipt of 99.99 EUR that earned 131 points, refunded in odd pieces.
    let amount: Int64 = 9_999
    let earned: Int64 = 131
    var refunded: Int64 = 0
    var reversed: Int64 = 0
    for piece in [1, 333, 2_500, 17, 4_000, 3_148] as [Int64] {
      let r = try EarnRules.reversal(
        refund: piece, receiptAmount: amount, receiptPoints: earned, refundedBefore: refunded, reversedBefore: reversed)
      #expect(r >= 0)
      refunded += piece
      reversed += r
    }
    #expect(refunded == amount)
    #expect(reversed == earned, "no rounding gain or loss")
  }

  @Test func refundsBeyondTheReceiptAreRefused() {
    #expect(throws: RuleError.self) {
      try EarnRules.reversal(
        refund: 501, receiptAmount: 1000, receiptPoints: 10, refundedBefore: 500, reversedBefore: 5)
    }
    #expect(throws: RuleError.self) {
      try EarnRules.reversal(refund: 0, receiptAmount: 1000, receiptPoints: 10, refundedBefore: 0, reversedBefore: 0)
    }
    #expect(throws: RuleError.self) {
      try EarnRules.reversal(refund: .max, receiptAmount: .max, receiptPoints: 10, refundedBefore: 1, reversedBefore: 0)
    }
  }

  @Test func overflowIsAnErrorNeverAWrap() throws {
    var q = p
    q.pointsPerUnit = Decimal4(parsing: "1000000000")!
    q.categoryRates["huge"] = Decimal4(parsing: "1000000000")!
    let error = #expect(throws: RuleError.self) {
      try EarnRules.points(
        for: [PurchaseLine(category: "huge", amount: .max)], at: t("2026-11-05T00:00:00Z"), tier: q.tiers[2], in: q)
    }
    #expect(error?.reason == .overflow)
    #expect(throws: RuleError.self) {
      try EarnRules.points(
        for: [PurchaseLine(category: "x", amount: -1)], at: t("2026-11-05T00:00:00Z"), tier: q.tiers[0], in: q)
    }
  }
}
