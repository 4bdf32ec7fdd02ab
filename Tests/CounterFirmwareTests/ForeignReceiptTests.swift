import CounterRuntime
import LoyaltyCore
import Testing

/// A refund that names a receipt the counter does not hold: its own receipt is checked against
/// the number; another counter's receipt may be of an account it does not hold, which the
/// customer's card, tapped first, brings; a card this counter holds no account of is said so.
@Suite("A receipt not known at the counter")
struct ForeignReceiptTests {
  @Test func anotherCountersReceiptAsksForTheCardAndAnOwnOneForTheNumber() async throws {
    let storage = PointsCacheStorage(cache: try CounterFixture().cache)
    let card = try CardID(parsing: "04A1B2C3D4E5F6")
    for (number, tapped, second, last) in [
      ("T02/R9", nil, "is not known here:", "or check the number"),
      ("R9", nil, "is not known here:", "check the number."),
      ("T02/R9", card, "Card not held here:", "refund where sold."),
    ] {
      do {
        _ = try await storage.receipt(number, terminal: "T01", card: tapped, at: UTCInstant(seconds: 0))
        Issue.record("receipt \(number) was found in an empty cache")
      } catch let error as RuleError {
        #expect(error.reason == .unknownReceipt)
        #expect(
          error.screenLines?[1] == second && error.screenLines?.last == last, "\(number): \(error.screenLines ?? [])")
        #expect(error.screenLines?.allSatisfy { $0.count <= 20 } == true)
      }
    }
  }
}
