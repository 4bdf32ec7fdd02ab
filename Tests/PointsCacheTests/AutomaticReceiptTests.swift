import Foundation
import LoyaltyCore
import PointsCache
import Testing

/// A purchase the till gave no receipt number: `A` and the count of this terminal's automatic
/// receipts plus one (`T01/A3`), numbered without gaps, short enough to read back at a refund, and
/// the next free number when that one is taken.
@Suite("Automatic receipt ids")
struct AutomaticReceiptTests {
  let alice = "6280001234567895"
  let line = [PurchaseLine(category: "fresh", amount: 1000)]
  func at(_ time: String) -> OperationContext { CacheFixture.context("T01", time) }

  @Test func automaticReceiptsAreNumberedWithoutGaps() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))  // entry 1
    let first = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:01:00Z"))
    #expect(first.receipt == "T01/A1")
    let refund = try f.cache.refund(receipt: "A1", amount: 500, context: at("2026-11-02T09:02:00Z"))
    #expect(refund.reversed > 0)
    let second = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:03:00Z"))
    #expect(second.receipt == "T01/A2", "a refund or an enrolment takes no number")
  }

  @Test func aNumberTakenAlreadyIsSkipped() throws {
    let f = try CacheFixture()
    _ = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T09:00:00Z"))  // entry 1
    // A cashier typed A1 and A3: the next automatic number (3) is taken, so 4; then 5.
    _ = try f.cache.earn(card: alice, lines: line, receipt: "A1", context: at("2026-11-02T09:01:00Z"))
    _ = try f.cache.earn(card: alice, lines: line, receipt: "A3", context: at("2026-11-02T09:02:00Z"))
    let automatic = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:03:00Z"))
    #expect(automatic.receipt == "T01/A4")
    let next = try f.cache.earn(card: alice, lines: line, receipt: nil, context: at("2026-11-02T09:04:00Z"))
    #expect(next.receipt == "T01/A5")
  }
}
