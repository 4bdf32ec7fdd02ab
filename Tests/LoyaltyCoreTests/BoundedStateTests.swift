import Foundation
import LoyaltyCore
import Testing

/// An account's state is bounded by the program's windows, not by its age: receipts are kept
/// while they can be refunded or count for the tier, and a refund past `refundDays` is refused
/// with HQ named as who can adjust.
@Suite("Account state bounded by the program's windows")
struct BoundedStateTests {
  static let program = try! ProgramParser.parse(
    Fixtures.programJSON {
      $0["tierWindowDays"] = 30
      $0["refundDays"] = 14
      $0["pendingDays"] = 7
    })

  /// The program's rules, with lots of a year.
  static var rules: StateRules {
    var rules = StateRules(program)
    rules.expiryDays = 365
    return rules
  }

  func earn(_ receipt: String, at t: UTCInstant) -> Entry {
    Entry(
      kind: .earn, id: "earn-\(receipt)", at: t, terminal: "T01", account: "acct-1", card: "C", points: 10,
      amount: 1_000, currency: "EUR", receipt: receipt, pendingDays: 7)
  }

  @Test func aProgramWithoutRefundDaysReadsItsTierWindowAndOneWithATooShortOneIsRefused() throws {
    #expect(Fixtures.program.refundDays == Fixtures.program.tierWindowDays)
    #expect(Self.program.refundDays == 14)
    #expect(LoyaltyProgram.receiptDays(Self.program) == 30)
    #expect(throws: (any Error).self) {
      try ProgramParser.parse(
        Fixtures.programJSON {
          $0["refundDays"] = 3
          $0["pendingDays"] = 7
        })
    }
  }

  @Test func threeYearsOfDailyPurchasesKeepAMonthOfReceipts() throws {
    var state = AccountState(id: "acct-1")
    let start = Fixtures.t("2026-01-01T12:00:00Z")
    var sizes: [Int] = []
    for day in 0..<1_095 {
      try state.apply(
        earn("T01/R\(day)", at: start.adding(days: day)),
        rules: Self.rules)
      // HQ's expiry run (`ledger expire`) takes out the lots past their day.
      if day % 30 == 29, let expiry = Decisions.expiry(of: state, asOf: start.adding(days: day)) {
        try state.apply(expiry, rules: Self.rules)
      }
      if day % 365 == 364 { sizes.append(AccountStateEncoding.encode(state).count) }
    }
    #expect(state.receipts.count == 31, "the receipts of the last 30 days and today")
    #expect(state.purchases == 1_095 && state.lifetimeSpend == 1_095_000)
    // Flat: the third year's state is the size of the second's (a lot a day for a year, the
    // expiry taking the older ones; a month of receipts).
    #expect(state.lots.lots.count <= 365 + 30)
    #expect(sizes[2] <= sizes[1] + 64 + 32, "\(sizes): flat but for longer numbers and receipt ids")
    // The tier reads the same window of purchases as with every receipt kept.
    let now = start.adding(days: 1_095)
    #expect(state.purchases(before: now, windowDays: 30).count == 29)
  }

  @Test func aRefundPastTheRefundWindowIsRefusedNamingHQ() throws {
    let bought = Fixtures.t("2026-03-01T10:00:00Z")
    let receipt = Receipt(account: "acct-1", at: bought.seconds, amount: 1_000, points: 10, refunded: 0, reversed: 0)
    let context = { (days: Int) in OperationContext(terminal: "T02", operator: "o", at: bought.adding(days: days)) }
    _ = try Decisions.refund(
      receipt: "T01/R1", receipt: receipt, amount: 500, earlierReversals: 0, program: Self.program,
      context: context(14))
    let error = #expect(throws: RuleError.self) {
      try Decisions.refund(
        receipt: "T01/R1", receipt: receipt, amount: 500, earlierReversals: 0, program: Self.program,
        context: context(15))
    }
    #expect(error?.message.contains("14-day refund window") == true && error?.message.contains("HQ can adjust") == true)
  }
}
