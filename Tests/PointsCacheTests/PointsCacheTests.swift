import Foundation
import LoyaltyCore
import PointsCache
import Testing

/// A cache in a fresh temporary file with the example program loaded.
struct CacheFixture {
  let directory: URL
  let cache: PointsCache

  static let programJSON = try! String(
    contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../sim/program.json"),
    encoding: .utf8)

  init(name: String = "cache") throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("points-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    cache = try PointsCache(path: directory.appendingPathComponent("\(name).db").path)
    try cache.loadProgram(
      ProgramParser.parse(Data(Self.programJSON.utf8)), json: Self.programJSON,
      context: Self.context("T01", "2026-11-01T00:00:00Z"))
  }

  static func context(_ terminal: String, _ time: String) -> OperationContext {
    OperationContext(terminal: terminal, operator: "tester", at: UTCInstant(parsing: time)!)
  }
}

@Suite("Points cache (SQLite files on disk)")
struct PointsCacheTests {
  let alice = "6280001234567895"
  let bob = "04A1B2C3D4E5F6"
  func at(_ time: String, _ terminal: String = "T01") -> OperationContext { CacheFixture.context(terminal, time) }

  func reason(_ body: () throws -> Void) -> RuleError.Reason? {
    do {
      try body()
      return nil
    } catch let error as RuleError {
      return error.reason
    } catch {
      Issue.record("unexpected \(error)")
      return nil
    }
  }

  @Test func writesAreDurableAtEveryCommit() throws {
    let f = try CacheFixture()
    #expect(try f.cache.synchronousMode() == 2, "the writer must run with synchronous = FULL")
    let reopened = try PointsCache(path: f.cache.path)
    #expect(try reopened.synchronousMode() == 2)
  }

  @Test func earnsByTheRulesAndShowsTheNextTier() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    let r = try f.cache.earn(
      card: alice,
      lines: [PurchaseLine(category: "fresh", amount: 1250), PurchaseLine(category: "fuel", amount: 1999)],
      receipt: "R1", context: at("2026-11-02T09:16:00Z"))
    #expect(r.points == 59 && r.balance == 59 && r.tier == "Bronze")
    #expect(r.nextTier == NextTier(name: "Silver", spendNeeded: 50_000 - 3249, visitsNeeded: 11))
    let view = try f.cache.identify(card: alice, at: UTCInstant(parsing: "2026-11-03T00:00:00Z")!)
    #expect(view.balance == 59 && view.visitsInWindow == 1 && view.spendInWindow == 3249)
    #expect(try f.cache.consistencyProblems().isEmpty)
    #expect(try f.cache.outbox().map(\.kind) == [.enroll, .earn])
  }

  /// The same schema, decisions and transactions with no file: what a unit test of the cache's
  /// callers runs on.
  @Test func anInMemoryCacheRecordsAsTheFileDoes() throws {
    let cache = try PointsCache.inMemory()
    try cache.loadProgram(
      ProgramParser.parse(Data(CacheFixture.programJSON.utf8)), json: CacheFixture.programJSON,
      context: at("2026-11-01T00:00:00Z"))
    _ = try cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    let r = try cache.earn(
      card: alice,
      lines: [PurchaseLine(category: "fresh", amount: 1250), PurchaseLine(category: "fuel", amount: 1999)],
      receipt: "R1", context: at("2026-11-02T09:16:00Z"))
    #expect(r.points == 59 && r.balance == 59)
    #expect(reason { _ = try cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:20:00Z")) } != nil)
    #expect(try cache.outbox().map(\.kind) == [.enroll, .earn])
    #expect(try cache.consistencyProblems().isEmpty)
  }

  @Test func refusalsWriteNothing() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    _ = try f.cache.earn(
      card: alice, lines: [PurchaseLine(category: "x", amount: 1000)], receipt: "R1",
      context: at("2026-11-02T09:00:10Z"))
    let before = try f.cache.history(card: alice).count
    #expect(
      reason { _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:01:00Z")) }
        == .alreadyEnrolled)
    #expect(
      reason {
        _ = try f.cache.earn(
          card: alice, lines: [PurchaseLine(category: "x", amount: 1)], receipt: "R1",
          context: at("2026-11-02T10:00:00Z"))
      } == .duplicateReceipt)
    #expect(
      reason {
        _ = try f.cache.earn(
          card: bob, lines: [PurchaseLine(category: "x", amount: 1)], receipt: nil, context: at("2026-11-02T10:00:00Z"))
      } == .unknownCard)
    #expect(
      reason { _ = try f.cache.refund(receipt: "R9", amount: 1, context: at("2026-11-02T10:00:00Z")) }
        == .unknownReceipt)
    #expect(
      reason { _ = try f.cache.refund(receipt: "R1", amount: 1001, context: at("2026-11-02T10:00:00Z")) }
        == .refundExceedsReceipt)
    #expect(
      reason { _ = try f.cache.redeem(card: alice, item: "gift10", context: at("2026-11-02T10:00:00Z")) }
        == .insufficientBalance)
    #expect(
      reason { _ = try f.cache.redeem(card: alice, item: "yacht", context: at("2026-11-02T10:00:00Z")) } == .unknownItem
    )
    #expect(
      reason { _ = try f.cache.enroll(card: "6280001234567890", referrer: nil, context: at("2026-11-02T10:00:00Z")) }
        == .unknownCard)
    #expect(try f.cache.history(card: alice).count == before)
    #expect(try f.cache.consistencyProblems().isEmpty)
  }

  @Test func debounceAndVelocityWindows() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    let line = [PurchaseLine(category: "x", amount: 100)]
    _ = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:00:00Z"))
    #expect(
      reason { _ = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:00:02Z")) }
        == .debounced)
    // A cache records for the one terminal it belongs to (a typo'd --terminal records nothing).
    #expect(
      reason {
        _ = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:00:03Z", "T02"))
      }
        == .wrongTerminal)
    for minute in 1...4 {
      _ = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:0\(minute):00Z"))
    }
    #expect(
      reason { _ = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:59:59Z")) }
        == .velocityExceeded)
    // The first earn leaves the trailing hour at 10:00:00.
    _ = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T10:00:00Z"))
  }

  @Test func redemptionsStopAtTheDailyCapPerTerminal() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    _ = try f.cache.earn(
      card: alice, lines: [PurchaseLine(category: "x", amount: 1_000_000)], receipt: "BIG",
      context: at("2026-11-02T09:00:00Z"))
    _ = try f.cache.redeem(card: alice, item: "gift10", context: at("2026-11-02T10:00:00Z"))
    _ = try f.cache.redeem(card: alice, item: "gift10", context: at("2026-11-02T11:00:00Z"))  // exactly 2000 today
    #expect(
      reason { _ = try f.cache.redeem(card: alice, item: "charity", context: at("2026-11-02T12:00:00Z")) }
        == .dailyRedeemCapReached)
    _ = try f.cache.redeem(card: alice, item: "charity", context: at("2026-11-03T00:00:00Z"))  // a new UTC day
    #expect(
      try f.cache.identify(card: alice, at: UTCInstant(parsing: "2026-11-03T01:00:00Z")!).balance == 10_000 - 2_100)
  }

  @Test func partialRefundsReverseExactlyTheEarnedPoints() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    let earned = try f.cache.earn(
      card: alice, lines: [PurchaseLine(category: "fuel", amount: 9_999)], receipt: "R1",
      context: at("2026-11-02T09:00:00Z"))
    var reversed: Int64 = 0
    for (i, piece) in ([1, 3_333, 17, 6_000, 648] as [Int64]).enumerated() {
      reversed += try f.cache.refund(receipt: "R1", amount: piece, context: at("2026-11-0\(3 + i)T09:00:00Z")).reversed
    }
    #expect(reversed == earned.points)
    #expect(try f.cache.identify(card: alice, at: UTCInstant(parsing: "2026-11-09T00:00:00Z")!).balance == 0)
    #expect(try f.cache.consistencyProblems().isEmpty)
  }

  @Test func blockedCardsAreRefusedAndLinkedCardsShareTheAccount() throws {
    let f = try CacheFixture()
    let account = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    _ = try f.cache.earn(
      card: alice, lines: [PurchaseLine(category: "x", amount: 5000)], receipt: nil, context: at("2026-11-02T09:00:00Z")
    )
    try f.cache.block(card: alice, context: at("2026-11-02T10:00:00Z"))
    #expect(
      reason {
        _ = try f.cache.earn(
          card: alice, lines: [PurchaseLine(category: "x", amount: 1)], receipt: nil,
          context: at("2026-11-02T11:00:00Z"))
      } == .blockedCard)
    #expect(try f.cache.link(card: bob, to: alice, context: at("2026-11-02T11:00:00Z")) == account)
    let r = try f.cache.earn(
      card: bob, lines: [PurchaseLine(category: "x", amount: 1000)], receipt: nil, context: at("2026-11-02T11:00:00Z"))
    #expect(r.account == account && r.balance == 60)
    #expect(
      reason { _ = try f.cache.link(card: bob, to: alice, context: at("2026-11-02T12:00:00Z")) } == .alreadyLinked)
  }

  @Test func referralIsAwardedOnceAndTwoCachesMakeTheSameBonusIds() throws {
    var bonusIds: [[String]] = []
    for terminal in ["T01", "T02"] {
      let f = try CacheFixture(name: terminal)
      _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z", terminal))
      _ = try f.cache.enroll(card: bob, referrer: alice, context: at("2026-11-02T09:05:00Z", terminal))
      let small = try f.cache.earn(
        card: bob, lines: [PurchaseLine(category: "x", amount: 1999)], receipt: nil,
        context: at("2026-11-02T09:10:00Z", terminal))
      #expect(small.referralBonuses.isEmpty, "below minFirstPurchase")
      let first = try f.cache.earn(
        card: bob, lines: [PurchaseLine(category: "x", amount: 2000)], receipt: nil,
        context: at("2026-11-02T09:20:00Z", terminal))
      #expect(first.referralBonuses.count == 2)
      let again = try f.cache.earn(
        card: bob, lines: [PurchaseLine(category: "x", amount: 5000)], receipt: nil,
        context: at("2026-11-02T09:30:00Z", terminal))
      #expect(again.referralBonuses.isEmpty, "awarded once")
      let ids = try f.cache.outbox().filter { $0.kind == .referralBonus }.map(\.id).sorted()
      bonusIds.append(ids)
      #expect(try f.cache.identify(card: alice, at: UTCInstant(parsing: "2026-11-03T00:00:00Z")!).balance == 200)
      #expect(try f.cache.consistencyProblems().isEmpty)
    }
    #expect(bonusIds[0] == bonusIds[1], "both terminals name the bonuses alike, so the ledger keeps one of each")
    // The same card enrolled at two terminals offline is one account.
    #expect(Identities.accountID(enrolledWith: bob) == Identities.accountID(enrolledWith: bob))
  }

  @Test func overflowingBasketsAreRefused() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    let huge = [PurchaseLine(category: "x", amount: .max), PurchaseLine(category: "x", amount: .max)]
    #expect(
      reason { _ = try f.cache.earn(card: alice, lines: huge, receipt: nil, context: at("2026-11-02T09:00:00Z")) }
        == .invalidAmount, "a line beyond the bound of 10^11 minor units is refused before any sum")
    // Within the bounds, 2 000 lines of 10^11 still sum exactly (no overflow, no wrap).
    let many = Array(repeating: PurchaseLine(category: "x", amount: Decisions.Bounds.maxAmount), count: 201)
    #expect(
      reason { _ = try f.cache.earn(card: alice, lines: many, receipt: nil, context: at("2026-11-02T09:00:00Z")) }
        == .invalidAmount, "at most 200 lines")
    #expect(
      reason {
        _ = try f.cache.earn(
          card: alice, lines: [PurchaseLine(category: "x", amount: -5)], receipt: nil,
          context: at("2026-11-02T09:00:00Z"))
      } == .invalidAmount)
  }
}
