import Foundation
import GRDB
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

  /// A receipt recorded before receipts kept their window (up to `v4-audit`; `v5-receipt-window`
  /// left it without one, and `v10-one-row` moved it into its account's state so) keeps the
  /// program in force's. A purchase after the upgrade keeps its version's: none under version 1,
  /// 14 days under version 2, whose window does not make version 1's points pending again (issue
  /// 21, item 4).
  @Test func receiptsFromBeforeTheMigrationKeepTheWindowOfTheProgramInForce() throws {
    let f = try CacheFixture()
    let fresh = [PurchaseLine(category: "fresh", amount: 10_000)]
    let account = try f.cache.enroll(card: card, referrer: nil, context: at("2026-11-02T09:00:00Z"))
    let legacy = try f.cache.earn(card: card, lines: fresh, receipt: "R1", context: at("2026-11-02T09:01:00Z"))
    // The receipt and the earn as the build before v5 wrote them: no window.
    let queue = try DatabaseQueue(path: f.cache.path)
    try queue.write { db in
      var state = try AccountStateEncoding.decode(
        AccountStateEncoding.attached(
          Array(
            try Data.fetchOne(
              db, sql: "SELECT COALESCE(working, state) FROM account WHERE id = ?", arguments: [account])!),
          id: account))
      state.receipts["T01/R1"]?.pendingDays = nil
      try db.execute(
        sql: "UPDATE account SET working = ? WHERE id = ?",
        arguments: [Data(AccountStateEncoding.encode(state)), account])
      try db.execute(sql: "UPDATE entry SET pendingDays = NULL WHERE receipt = 'T01/R1'")
    }
    let cache = try PointsCache(path: f.cache.path)
    let v1 = try cache.earn(card: card, lines: fresh, receipt: "R2", context: at("2026-11-02T10:00:00Z"))
    let json = CacheFixture.programJSON.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 2,")
      .replacingOccurrences(of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"pendingDays\": 14,")
    try cache.loadProgram(ProgramParser.parse(Data(json.utf8)), json: json, context: at("2026-11-02T11:00:00Z"))
    let v2 = try cache.earn(card: card, lines: fresh, receipt: "R3", context: at("2026-11-02T12:00:00Z"))
    let windows = try queue.read { db in
      try AccountStateEncoding.decode(
        AccountStateEncoding.attached(
          Array(
            try Data.fetchOne(
              db, sql: "SELECT COALESCE(working, state) FROM account WHERE id = ?", arguments: [account])!),
          id: account)
      ).receipts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.pendingDays.map(String.init) ?? "none")" }
    }
    #expect(windows == ["T01/R1: none", "T01/R2: 0", "T01/R3: 14"])
    func pending(_ time: String) throws -> Int64 {
      try cache.identify(card: card, at: UTCInstant(parsing: time)!).pending
    }
    #expect(try pending("2026-11-02T12:00:00Z") == legacy.points + v2.points, "R1 by the program in force, not R2")
    #expect(try pending("2026-11-16T09:01:00Z") == v2.points)
    #expect(try pending("2026-11-16T12:00:00Z") == 0)
    // R2's points (version 1) pay for a coffee now.
    #expect(v1.points >= 150)
    #expect(try cache.redeem(card: card, item: "coffee", context: at("2026-11-02T12:05:00Z")).points == 150)
    #expect(try cache.consistencyProblems().isEmpty)
  }

  @Test func aReturnWindowAsLongAsTheExpiryIsRefused() throws {
    let json = CacheFixture.programJSON.replacingOccurrences(
      of: "\"expiryDays\": 365,", with: "\"expiryDays\": 365, \"pendingDays\": 365,")
    let problems = #expect(throws: ValidationProblems.self) { try ProgramParser.parse(Data(json.utf8)) }
    #expect(problems?.description.contains("pendingDays") == true)
  }
}
