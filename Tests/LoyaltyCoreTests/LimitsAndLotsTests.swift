import LoyaltyCore
import Testing

@Suite("Limits, lots and identities")
struct LimitsAndLotsTests {
  let p = Fixtures.program
  let t = Fixtures.t

  @Test(arguments: [(0, true), (2, true), (3, false), (10, false)] as [(Int64, Bool)])
  func debounceWindow(_ after: Int64, _ ignored: Bool) {
    let first = t("2026-11-02T09:00:00Z")
    #expect(CounterLimits.isDebounced(lastTap: first, now: first.adding(seconds: after), in: p) == ignored)
  }

  @Test func velocityAllowsTheFifthEarnAndRefusesTheSixth() throws {
    try CounterLimits.checkVelocity(earnsInTrailingHour: 4, card: "C", in: p)
    let error = #expect(throws: RuleError.self) {
      try CounterLimits.checkVelocity(earnsInTrailingHour: 5, card: "C", in: p)
    }
    #expect(error?.reason == .velocityExceeded)
  }

  @Test func redemptionAtTheDailyCap() throws {
    let gift = p.item("gift10")!
    try CounterLimits.checkRedemption(item: gift, balance: 5000, redeemedTodayHere: 1000, card: "C", in: p)  // exactly 2000
    let capped = #expect(throws: RuleError.self) {
      try CounterLimits.checkRedemption(item: gift, balance: 5000, redeemedTodayHere: 1001, card: "C", in: p)
    }
    #expect(capped?.reason == .dailyRedeemCapReached)
    let poor = #expect(throws: RuleError.self) {
      try CounterLimits.checkRedemption(item: gift, balance: 999, redeemedTodayHere: 0, card: "C", in: p)
    }
    #expect(poor?.reason == .insufficientBalance)
  }

  @Test func debitsTakeTheOldestLotsAndDeficitsArePaidFirst() throws {
    var lots = PointLots()
    try lots.credit(100, at: t("2026-01-01T00:00:00Z"), expiryDays: 365)
    try lots.credit(50, at: t("2026-06-01T00:00:00Z"), expiryDays: 365)
    try lots.debit(120)
    #expect(lots.lots.map(\.remaining) == [30])
    #expect(lots.lots[0].earnedAt == t("2026-06-01T00:00:00Z"))
    try lots.debit(40)
    #expect(lots.balance == -10 && lots.deficit == 10 && lots.lots.isEmpty)
    try lots.credit(25, at: t("2026-07-01T00:00:00Z"), expiryDays: 365)
    #expect(lots.deficit == 0 && lots.balance == 15 && lots.lots.map(\.remaining) == [15])
  }

  @Test func expiryTakesLotsWhoseDayHasCome() throws {
    var lots = PointLots()
    try lots.credit(100, at: t("2025-11-02T10:00:00Z"), expiryDays: 365)
    try lots.credit(40, at: t("2026-03-01T00:00:00Z"), expiryDays: 365)
    #expect(lots.expiring(asOf: t("2026-11-02T09:59:59Z")) == 0)
    #expect(lots.expire(asOf: t("2026-11-02T10:00:00Z")) == 100)
    #expect(lots.balance == 40)
  }

  @Test func lateCreditsTakeTheirPlaceInTimeOrder() throws {
    var lots = PointLots()
    try lots.credit(10, at: t("2026-05-01T00:00:00Z"), expiryDays: 30)
    try lots.credit(20, at: t("2026-04-01T00:00:00Z"), expiryDays: 30)  // learnt later, earned earlier
    try lots.debit(15)
    #expect(lots.lots.map(\.remaining) == [5, 10])
  }

  @Test func identitiesAreDeterministicAndDistinct() throws {
    let a = Identities.accountID(enrolledWith: "6280001234567895")
    #expect(a == Identities.accountID(enrolledWith: "6280001234567895"))
    #expect(a != Identities.accountID(enrolledWith: "04A1B2C3D4E5F6"))
    #expect(a.hasPrefix("acct-") && a.count == 29)
    let referrer = Identities.referralBonusID(refereeAccount: a, forReferrer: true)
    let referee = Identities.referralBonusID(refereeAccount: a, forReferrer: false)
    #expect(referrer != referee && referrer == Identities.referralBonusID(refereeAccount: a, forReferrer: true))
  }

  @Test(arguments: ["6280001234567895", "04A1B2C3", "04A1B2C3D4E5F6", "04A1B2C3D4E5F6071829"])
  func validCardIDs(_ card: String) throws {
    try Identities.validateCard(card)
  }

  @Test(arguments: ["6280001234567890", "628000123456789", "04a1b2c3", "04A1B2C", "hello", "", "04A1B2C3D4"])
  func invalidCardIDs(_ card: String) {
    #expect(throws: RuleError.self) { try Identities.validateCard(card) }
  }
}
