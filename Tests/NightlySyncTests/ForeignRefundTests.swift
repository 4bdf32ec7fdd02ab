import Foundation
import GRDB
import LedgerFormat
import LedgerStore
import LoyaltyCore
import NightlySync
import PointsCache
import TestSupport
import Testing

/// A counter indexes its own receipts only (`v19-own-receipts`): another counter's receipt is
/// found in its customer's account, through the card. Without it the refund asks for the card;
/// with another card it says the receipt is not on that card; with the right one it is refunded
/// and HQ admits it. At a region's counter, the card's look-up brings the account.
@Suite("Another counter's receipt is refunded through its customer's card")
struct ForeignRefundTests {
  static let card = ChainFixture.cards[3]
  static let other = ChainFixture.cards[4]

  /// T02 sells receipt S1 (50.00 EUR) to card 3 and enrols card 4; both counters sync.
  func soldAtT02(regions: String? = nil) async throws -> ChainFixture {
    let f = try ChainFixture(
      terminals: 2, program: regions.map { ChainFixture.program(regions: $0) } ?? ChainFixture.program)
    for t in f.terminals { try await f.sync(t, at: ChainFixture.start.adding(seconds: 60)) }
    let t2 = try f.cache("T02")
    for card in [Self.card, Self.other] {
      _ = try t2.enroll(card: card, referrer: String?.none, context: f.context("T02", 1_000))
    }
    _ = try t2.earn(
      card: Self.card, lines: [PurchaseLine(category: "fresh", amount: 5_000)], receipt: "S1",
      context: f.context("T02", 1_100))
    for t in ["T02", "T01"] { try await f.sync(t, at: ChainFixture.start.adding(seconds: 22 * 3600)) }
    return f
  }

  func refund(_ f: ChainFixture, card: String?) throws -> Int64 {
    try f.cache("T01").refund(
      receipt: "T02/S1", amount: 2_000, card: card,
      context: OperationContext(terminal: "T01", operator: "test", at: ChainFixture.start.adding(days: 1))
    )
    .reversed
  }

  func refusal(_ f: ChainFixture, card: String?) throws -> RuleError? {
    do {
      _ = try refund(f, card: card)
      return nil
    } catch let error as RuleError { return error }
  }

  @Test func aFullReplicaRefundsItThroughTheCardAndHQAdmitsIt() async throws {
    let f = try await soldAtT02()
    // The receipt is in the account's state at T01, but not in its index.
    let reader = try DatabaseQueue(path: f.cachePath("T01"))
    let indexed = try await reader.read { db in try String.fetchAll(db, sql: "SELECT id FROM receipt_index") }
    try reader.close()
    #expect(indexed.isEmpty, "T01 indexes none of T02's receipts: \(indexed)")
    let asked = try #require(try refusal(f, card: nil))
    #expect(asked.reason == .unknownReceipt && asked.message.contains("give the customer's card (--card CARD"))
    let wrong = try #require(try refusal(f, card: Self.other))
    #expect(wrong.screenLines == ["Receipt T02/S1", "is not on this card:", "check the number."])
    let unknown = try #require(try refusal(f, card: ChainFixture.cards[9]))
    #expect(unknown.screenLines?[1] == "Card not held here:" && unknown.message.contains("loyalty-terminal look-up"))
    #expect(try f.cache("T01").outbox().isEmpty, "nothing recorded by any refusal")
    // The command line takes the card as `identify` does (spaced digits here), and names the
    // receipt as the chain does.
    let run = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      [
        "refund", "T02/S1", "2000", "--card", Self.spaced(Self.card), "--cache", f.cachePath("T01"), "--terminal",
        "T01", "--at", ChainFixture.start.adding(days: 1).description,
      ])
    #expect(run.status == 0 && run.output.contains("refund on T02/S1: "), "\(run.output) \(run.errors)")
    let garbage = try runToCompletion(
      BuiltProducts.loyaltyTerminal,
      ["refund", "T02/S1", "100", "--card", "xyz", "--cache", f.cachePath("T01"), "--terminal", "T01"])
    #expect(garbage.status != 0 && garbage.errors.contains("is not a card"), "\(garbage.errors)")
    #expect(try f.cache("T01").consistencyProblems().isEmpty)
    let summary = try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3_600))
    #expect(summary.refusedByHQ.isEmpty && summary.sent == 1, "\(summary)")
    _ = try await f.sync("T02", at: ChainFixture.start.adding(days: 1).adding(seconds: 3_700))
    #expect(try f.balances("T02") == f.balances("T01"))
  }

  /// With a card given, the receipt is looked for in that card's account only: this counter's
  /// own receipt of another customer is not refunded on it.
  @Test func aCardGivenLimitsTheRefundToItsOwnAccountEvenForThisCountersReceipt() async throws {
    let f = try await soldAtT02()
    let t2 = try f.cache("T02")
    let context = OperationContext(terminal: "T02", operator: "test", at: ChainFixture.start.adding(days: 1))
    #expect(throws: RuleError.self) { try t2.refund(receipt: "S1", amount: 1_000, card: Self.other, context: context) }
    #expect(try t2.refund(receipt: "S1", amount: 1_000, card: Self.card, context: context).reversed > 0)
    #expect(try t2.refund(receipt: "S1", amount: 1_000, context: context).reversed > 0, "no card: by the index")
  }

  /// A loyalty number as a person types it: groups of four digits.
  static func spaced(_ number: String) -> String {
    stride(from: 0, to: number.count, by: 4).map { String(Array(number)[$0..<min($0 + 4, number.count)]) }
      .joined(separator: " ")
  }

  @Test func aRegionsCounterRefundsItOnceTheCardIsLookedUp() async throws {
    let f = try await soldAtT02(regions: #"{"days": 2, "shops": {"north": ["T01"], "south": ["T02"]}}"#)
    // T01, in the north, does not hold the southern account: the card alone does not find it.
    let unheld = try #require(try refusal(f, card: Self.card))
    #expect(unheld.screenLines?[1] == "Card not held here:", "\(unheld.message)")
    let outcome = try await CardLookUp(
      cache: try f.cache("T01"), connection: LocalLedgerConnection(ledger: f.ledger), terminal: "T01",
      key: try LedgerKey.load(from: f.keyPath("T01"))
    ).run(card: Self.card, at: ChainFixture.start.adding(days: 1).adding(seconds: -60))
    guard case .taken = outcome else {
      Issue.record("the look-up was not taken: \(outcome)")
      return
    }
    #expect(try refund(f, card: Self.card) > 0)
    #expect(try f.cache("T01").consistencyProblems().isEmpty)
    let summary = try await f.sync("T01", at: ChainFixture.start.adding(days: 1).adding(seconds: 3_600))
    #expect(summary.refusedByHQ.isEmpty && summary.sent == 1, "\(summary)")
  }
}
