import Foundation
import LoyaltyCore
import Testing

/// `minVisitAmount`: a purchase below it is no tier visit (its spend still counts), in the one
/// place visits are counted — so the counter's view, its earn decision and HQ's audit agree.
@Suite("Minimum visit amount")
struct MinVisitAmountTests {
  let now = Fixtures.t("2026-11-15T12:00:00Z")

  /// The example program, with `minVisitAmount` when given.
  func program(minVisitAmount: Any?) throws -> LoyaltyProgram {
    try ProgramParser.parse(
      Fixtures.programJSON { o in if let minVisitAmount { o["minVisitAmount"] = minVisitAmount } })
  }

  /// Twelve purchases of 0.01 in the window: Silver's minVisits, were each one a visit.
  var pennies: [PurchaseFact] { (1...12).map { PurchaseFact(at: now.adding(days: -$0), amount: 1, refunded: 0) } }

  @Test func aPennyPurchaseIsAVisitWithoutTheMinimum() throws {
    let p = try program(minVisitAmount: nil)
    #expect(p.minVisitAmount == 0)
    let standing = EarnRules.tier(at: now, history: pennies, in: p)
    #expect(standing.visits == 12 && standing.spend == 12 && standing.tier.name == "Silver")
  }

  @Test func aPennyPurchaseIsNoVisitUnderAMinimumOf500ButItsSpendCounts() throws {
    let p = try program(minVisitAmount: 500)
    #expect(p.minVisitAmount == 500)
    let standing = EarnRules.tier(at: now, history: pennies, in: p)
    #expect(standing.visits == 0 && standing.spend == 12 && standing.tier.name == "Bronze")
    let next = try #require(NextTier.after(standing, in: p))
    #expect(next.visitsNeeded == 12)
  }

  @Test func aPurchaseOfExactlyTheMinimumIsAVisitBeforeItsRefunds() throws {
    let p = try program(minVisitAmount: 500)
    let history = [
      PurchaseFact(at: now.adding(days: -1), amount: 500, refunded: 0),
      PurchaseFact(at: now.adding(days: -2), amount: 499, refunded: 0),
      PurchaseFact(at: now.adding(days: -3), amount: 800, refunded: 600),  // its total was 8.00: a visit
    ]
    let standing = EarnRules.tier(at: now, history: history, in: p)
    #expect(standing.visits == 2 && standing.spend == 500 + 499 + 200)
  }

  @Test func theCardholderViewCountsVisitsTheSameWay() throws {
    for (minimum, visits) in [(nil, 1), (500, 0)] as [(Any?, Int)] {
      let p = try program(minVisitAmount: minimum)
      var account = AccountState(id: "acct-a")
      try account.apply(
        Entry(
          kind: .earn, id: "earn-T01/R1", at: now.adding(days: -1), terminal: "T01", account: "acct-a", card: "C1",
          points: 0, amount: 1, receipt: "T01/R1"), rules: StateRules(expiryDays: p.expiryDays))
      let view = account.view(card: "C1", cards: ["C1"], at: now, program: p)
      #expect(view.visitsInWindow == visits && view.spendInWindow == 1, "minVisitAmount \(minimum ?? "absent")")
    }
  }

  @Test(arguments: [-1, 1_000_000_000_001] as [Int64])
  func anOutOfRangeMinimumIsRefused(_ value: Int64) {
    let problems = #expect(throws: ValidationProblems.self) { try program(minVisitAmount: value) }
    #expect(problems?.description.contains("minVisitAmount: must not") == true, "\(problems?.description ?? "")")
  }

  @Test func aMinimumThatIsNotAWholeNumberIsRefused() {
    for value in ["500", 5.5] as [Any] {
      let problems = #expect(throws: ValidationProblems.self) { try program(minVisitAmount: value) }
      #expect(problems?.description.contains("minVisitAmount: must be an integer") == true, "\(value)")
    }
  }
}
