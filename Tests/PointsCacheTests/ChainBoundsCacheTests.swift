import Foundation
import LoyaltyCore
import PointsCache
import Testing

/// The program's chain-wide bounds at the counter: decided by the core's rules on what the cache
/// knows — the ledger up to its last sync (every shop's entries) and its own entries since.
@Suite("Chain-wide bounds at the counter (the cache's counts)")
struct ChainBoundsCacheTests {
  let alice = "6280001234567895"
  let bob = "04A1B2C3D4E5F6"
  let carol = "0A1B2C3D"
  let dave = "04D0D0D0D0D0D0"
  let basket = [PurchaseLine(category: "other", amount: 2_000)]

  /// The example program as version 2 with both bounds: 2 earns a card a UTC day, 1 referrer
  /// bonus a referrer in any 30 UTC days.
  static let bounded = CacheFixture.programJSON.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 2,")
    .replacingOccurrences(
      of: #""offlineRedeemPointsPerDay": 2000}"#,
      with: #""offlineRedeemPointsPerDay": 2000, "maxEarnsPerCardPerDay": 2}"#
    )
    .replacingOccurrences(
      of: #""minFirstPurchase": 2000}"#,
      with: #""minFirstPurchase": 2000, "maxReferralsPerReferrer": 1, "periodDays": 30}"#
    )

  func at(_ time: String, _ terminal: String = "T01") -> OperationContext { CacheFixture.context(terminal, time) }

  /// A cache with the bounded program.
  func boundedCache() throws -> PointsCache {
    let f = try CacheFixture()
    try f.cache.loadProgram(
      ProgramParser.parse(Data(Self.bounded.utf8)), json: Self.bounded, context: at("2026-11-01T00:00:01Z"))
    #expect(try f.cache.program().limits.maxEarnsPerCardPerDay == 2)
    return f.cache
  }

  /// The counter holds the day's bound on the earns it knows: its own (a replica of account
  /// states keeps no other shop's entries; HQ's audit counts every shop's, `AuditReplayTests`).
  /// The third earn of the day is refused; another card of the account has its own count, and the
  /// next UTC day is a new one.
  @Test func anEarnBeyondTheDayBoundIsRefusedAtTheCounter() throws {
    let cache = try boundedCache()
    _ = try cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T08:00:00Z"))
    _ = try cache.earn(card: alice, lines: basket, receipt: "R0", context: at("2026-11-02T08:01:00Z"))
    _ = try cache.earn(card: alice, lines: basket, receipt: "R1", context: at("2026-11-02T10:00:00Z"))
    let refused = #expect(throws: RuleError.self) {
      try cache.earn(card: alice, lines: basket, receipt: "R2", context: at("2026-11-02T23:59:59Z"))
    }
    #expect(refused?.reason == .dailyEarnLimitReached)
    #expect(
      refused?.message.contains("card ****7895 already earned 2 times on 2026-11-02 (UTC) across the chain") == true,
      "\(refused?.message ?? "")")
    #expect(refused?.screenLines == ["Limit of 2 earns", "a day (all shops)."])
    #expect(try cache.outbox().filter { $0.kind == .earn }.count == 2, "nothing recorded for the refused one")
    // Per card: a second card of the account counts its own earns.
    _ = try cache.link(card: bob, to: alice, context: at("2026-11-02T11:00:00Z"))
    _ = try cache.earn(card: bob, lines: basket, receipt: "R3", context: at("2026-11-02T11:01:00Z"))
    _ = try cache.earn(card: alice, lines: basket, receipt: "R4", context: at("2026-11-03T00:00:00Z"))
  }

  /// A referrer at its bound: the referee's purchase is recorded and its own bonus paid; the
  /// referrer's is not, and never later (the referral is settled).
  @Test func aReferrerAtItsBoundGetsNothingAndTheRefereeItsOwnBonus() throws {
    let cache = try boundedCache()
    let aliceAccount = try cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    _ = try cache.enroll(card: bob, referrer: alice, context: at("2026-11-02T09:01:00Z"))
    let first = try cache.earn(card: bob, lines: basket, receipt: "R1", context: at("2026-11-02T09:02:00Z"))
    #expect(first.referralBonuses[aliceAccount] == 200)
    let carolAccount = try cache.enroll(card: carol, referrer: alice, context: at("2026-11-02T09:03:00Z"))
    let second = try cache.earn(card: carol, lines: basket, receipt: "R2", context: at("2026-11-02T09:04:00Z"))
    #expect(second.points == 20, "the purchase itself is not refused")
    #expect(second.referralBonuses == [carolAccount: 100], "the referee's own bonus alone")
    #expect(try cache.balances()[aliceAccount] == 200)
    // The window (the day and the 29 before it) has moved past the first bonus: a new referee pays;
    // the referee whose referrer was at the bound stays settled, its referrer's bonus never paid.
    _ = try cache.enroll(card: dave, referrer: alice, context: at("2026-12-02T09:00:00Z"))
    let moved = try cache.earn(card: dave, lines: basket, receipt: "R4", context: at("2026-12-02T09:01:00Z"))
    #expect(moved.referralBonuses[aliceAccount] == 200)
    let later = try cache.earn(card: carol, lines: basket, receipt: "R3", context: at("2026-12-02T09:02:00Z"))
    #expect(later.referralBonuses.isEmpty)
    #expect(try cache.balances()[aliceAccount] == 400)
  }
}
