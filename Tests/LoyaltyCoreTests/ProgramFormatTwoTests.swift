import Foundation
import LoyaltyCore
import Testing

/// Program format 2: the tier from whole UTC days, a lot per day expiring at a day's end, and
/// receipts kept while refundable only, so an account's state is bounded by the program's days
/// and not by how often its cardholder buys.
@Suite("Program format 2: the tier by day, a lot a day")
struct ProgramFormatTwoTests {
  /// The example program in format 2: a 3-day tier window, a 2-day refund window, purchases
  /// under 15.00 no visits, Silver at 3 visits.
  static let program = try! ProgramParser.parse(
    Fixtures.programJSON {
      $0["format"] = 2
      $0["tierWindowDays"] = 3
      $0["refundDays"] = 2
      $0["minVisitAmount"] = 1500
      var tiers = $0["tiers"] as! [[String: Any]]
      tiers[1]["minVisits"] = 3
      $0["tiers"] = tiers
    })
  static let day0 = Fixtures.t("2026-11-02T00:00:00Z")

  func earn(_ n: Int, at t: UTCInstant, amount: Int64 = 2_000, points: Int64 = 20) -> Entry {
    Entry(
      kind: .earn, id: "earn-T01/R\(n)", at: t, terminal: "T01", account: "acct-1", card: "C", points: points,
      amount: amount, currency: "EUR", receipt: "T01/R\(n)", version: 1, pendingDays: 0)
  }

  @Test func aProgramWithoutFormatIsFormatOneAndANewerFormatIsRefusedInWords() throws {
    #expect(Fixtures.program.format == 1)
    #expect(Self.program.format == 2)
    #expect(LoyaltyProgram.receiptDays(Self.program) == 2, "format 2 keeps receipts while refundable only")
    #expect(LoyaltyProgram.receiptDays(Fixtures.program) == 365)
    let newer = #expect(throws: ValidationProblems.self) {
      try ProgramParser.parse(Fixtures.programJSON { $0["format"] = 3 })
    }
    #expect(
      newer?.problems == [
        "format: 3 is newer than this build reads (1 or 2): update the terminals and HQ first, or write the "
          + "program as format 2"
      ])
    let zero = #expect(throws: ValidationProblems.self) {
      try ProgramParser.parse(Fixtures.programJSON { $0["format"] = 0 })
    }
    #expect(zero?.problems == ["format: must be 1 or 2 (a program without format is 1), is 0"])
    let text = #expect(throws: ValidationProblems.self) {
      try ProgramParser.parse(Fixtures.programJSON { $0["format"] = "2" })
    }
    #expect(text?.problems == ["format: must be 1 or 2, a number without quotes, not a string"])
  }

  @Test func theTierCountsWholeDaysTodaysEarlierPurchasesIncluded() throws {
    var state = AccountState(id: "acct-1")
    let rules = StateRules(Self.program)
    // Day 0 late evening: one visit; day 1: a purchase of 10.00 (no visit) and one visit.
    try state.apply(earn(1, at: Self.day0.adding(seconds: 86_399)), rules: rules)
    try state.apply(earn(2, at: Self.day0.adding(days: 1), amount: 1_000), rules: rules)
    try state.apply(earn(3, at: Self.day0.adding(days: 1).adding(seconds: 3_600)), rules: rules)
    #expect(state.tierDays.days.map(\.visits) == [1, 1] && state.tierDays.days.map(\.spend) == [2_000, 3_000])
    // Day 2 at 00:00: days 0–2 are the window; two visits, Bronze. A third visit earlier today
    // makes the next purchase Silver.
    let day2 = Self.day0.adding(days: 2)
    #expect(EarnRules.tier(at: day2, of: state, in: Self.program).visits == 2)
    try state.apply(earn(4, at: day2), rules: rules)
    let silver = EarnRules.tier(at: day2.adding(seconds: 1), of: state, in: Self.program)
    #expect(silver.tier.name == "Silver" && silver.visits == 3 && silver.spend == 7_000)
    // Day 3: day 0 has left the window (to the day, not to the second).
    let day3 = Self.day0.adding(days: 3)
    #expect(EarnRules.tier(at: day3, of: state, in: Self.program).visits == 2)
    // Format 1 reads the receipts to the second: the window (t − 3 days, t) still holds day 0's.
    #expect(
      EarnRules.tier(
        at: day3, of: state, in: try ProgramParser.parse(Fixtures.programJSON { $0["tierWindowDays"] = 3 })
      )
      .visits == 4)
  }

  @Test func aRefundTakesItsSpendFromThePurchasesDay() throws {
    var state = AccountState(id: "acct-1")
    let rules = StateRules(Self.program)
    try state.apply(earn(1, at: Self.day0.adding(seconds: 600), amount: 5_000, points: 50), rules: rules)
    try state.apply(earn(2, at: Self.day0.adding(days: 1)), rules: rules)
    let refund = Entry(
      kind: .reversal, id: "rev-1", at: Self.day0.adding(days: 1).adding(seconds: 60), terminal: "T01",
      account: "acct-1", points: -30, amount: 3_000, receipt: "T01/R1")
    try state.apply(refund, rules: rules)
    #expect(state.tierDays.days.map(\.spend) == [2_000, 2_000], "day 0's 50.00 less the 30.00 refunded")
    #expect(state.tierDays.days.map(\.visits) == [1, 1], "a refunded purchase stays a visit, as in format 1")
    try state.apply(refund.with(id: "rev-2", amount: 9_000, points: -20), rules: rules)
    #expect(state.tierDays.days[0].spend == 0, "never below nothing")
  }

  @Test func aDaysCreditsShareOneLotThatExpiresAtTheEndOfItsDay() throws {
    var state = AccountState(id: "acct-1")
    let rules = StateRules(Self.program)
    for n in 0..<10 { try state.apply(earn(n, at: Self.day0.adding(seconds: Int64(3_600 * (n + 8)))), rules: rules) }
    try state.apply(earn(10, at: Self.day0.adding(days: 1)), rules: rules)
    #expect(state.lots.lots.map(\.remaining) == [200, 20])
    let lastDay = Self.day0.adding(days: 365)
    #expect(state.lots.lots[0].expiresAt == Self.day0.adding(days: 366))
    #expect(state.lots.expiring(asOf: lastDay.adding(seconds: 86_399)) == 0, "alive all of its last day")
    #expect(state.lots.expiring(asOf: lastDay.adding(days: 1)) == 200)
    // Format 1: a lot per credit, expiring to the second.
    var one = AccountState(id: "acct-1")
    for n in 0..<10 {
      try one.apply(earn(n, at: Self.day0.adding(seconds: Int64(3_600 * (n + 8)))), rules: StateRules(Fixtures.program))
    }
    #expect(one.lots.lots.count == 10)
  }

  @Test func tenPurchasesADayForThreeYearsKeepTheWindowsDaysOnly() throws {
    let program = try ProgramParser.parse(
      Fixtures.programJSON {
        $0["format"] = 2
        $0["tierWindowDays"] = 365
        $0["refundDays"] = 30
      })
    let formatOne = try ProgramParser.parse(Fixtures.programJSON { $0["refundDays"] = 30 })
    var two = AccountState(id: "acct-1")
    var one = AccountState(id: "acct-1")
    var sizes: [Int] = []
    for day in 0..<1_095 {
      for n in 0..<10 {
        let e = earn(day * 10 + n, at: Self.day0.adding(days: day).adding(seconds: Int64(3_600 * (n + 8))))
        try two.apply(e, rules: StateRules(program))
        if day >= 1_095 - 400 { try one.apply(e, rules: StateRules(formatOne)) }
      }
      let now = Self.day0.adding(days: day).adding(seconds: 86_399)
      if day % 30 == 29 {
        if let expiry = Decisions.expiry(of: two, asOf: now) { try two.apply(expiry, rules: StateRules(program)) }
        if let expiry = Decisions.expiry(of: one, asOf: now) { try one.apply(expiry, rules: StateRules(formatOne)) }
      }
      if day % 365 == 364 { sizes.append(AccountStateEncoding.encode(two).count) }
    }
    #expect(two.tierDays.days.count == 365 && two.lots.lots.count <= 366 + 30)
    #expect(two.receipts.count <= 31 * 10, "a month of receipts: those a counter may still refund")
    #expect(sizes[2] <= sizes[1] + 2_048, "\(sizes): flat over the years")
    // The same tier as format 1's receipts give for a whole day of the window's days.
    let next = Self.day0.adding(days: 1_095)
    let byDays = EarnRules.tier(at: next, of: two, in: program)
    #expect(byDays.visits == 3_640 && byDays.spend == 7_280_000)
    // Format 1 keeps a receipt and a lot per purchase for the whole tier window.
    #expect(one.receipts.count > 3_600 && one.lots.lots.count > 3_600)
    #expect(AccountStateEncoding.encode(one).count > 5 * AccountStateEncoding.encode(two).count)
  }

  /// A version that shortens `expiryDays`: the newer lot expires first. HQ's expiry takes that
  /// lot, once (it took the oldest lot instead, and found the expired one again at every run).
  @Test func anExpiryTakesTheLotThatExpiredOnceAfterAVersionShortenedTheExpiry() throws {
    var state = AccountState(id: "acct-1")
    try state.apply(earn(1, at: Self.day0, points: 100), rules: StateRules(expiryDays: 365))
    var short = StateRules(Self.program)
    short.expiryDays = 2
    try state.apply(earn(2, at: Self.day0.adding(days: 3), points: 12), rules: short)
    #expect(state.lots.lots.map(\.remaining) == [12, 100], "the soonest to expire first")
    let cutoff = Self.day0.adding(days: 6)
    let expiry = try #require(Decisions.expiry(of: state, asOf: cutoff))
    #expect(expiry.points == -12)
    try state.apply(expiry, rules: short)
    #expect(state.balance == 100 && state.lots.lots.map(\.remaining) == [100])
    #expect(Decisions.expiry(of: state, asOf: cutoff.adding(seconds: 3_600)) == nil, "nothing left to expire")
    // A redemption spends the points about to expire first.
    try state.apply(earn(3, at: Self.day0.adding(days: 7), points: 12), rules: short)
    try state.apply(
      Entry(
        kind: .redeem, id: "redeem-1", at: Self.day0.adding(days: 7).adding(seconds: 60), terminal: "T01",
        account: "acct-1", card: "C", points: -10, data: "coffee"), rules: short)
    #expect(state.lots.lots.map(\.remaining) == [2, 100])
  }

  /// The standing a counter shows in the last second of a day reads that day's window (the next
  /// second's is the next day's).
  @Test func theStandingInTheLastSecondOfADayIsThatDays() throws {
    var state = AccountState(id: "acct-1")
    let rules = StateRules(Self.program)
    for n in 0..<3 { try state.apply(earn(n, at: Self.day0.adding(days: n).adding(seconds: 43_200)), rules: rules) }
    let lastSecond = Self.day0.adding(days: 2).adding(seconds: 86_399)
    let view = state.view(card: "C", cards: ["C"], at: lastSecond, program: Self.program)
    #expect(view.visitsInWindow == 3 && view.tier == "Silver")
    #expect(EarnRules.tier(at: lastSecond.adding(seconds: 1), of: state, in: Self.program).visits == 2)
  }

  @Test func aVersionOneStateIsReadAndWrittenAsVersionTwo() throws {
    var state = AccountState(id: "acct-1")
    try state.apply(earn(1, at: Self.day0), rules: StateRules(Self.program))
    let bytes = AccountStateEncoding.encode(state)
    #expect(bytes[0] == 2 && bytes.last == 1, "one day, one visit")
    // What a cache held before: version 1, without the tier days' section.
    var withoutDays = state
    withoutDays.tierDays = TierDays()
    var legacy = Array(AccountStateEncoding.encode(withoutDays).dropLast())
    legacy[0] = 1
    #expect(bytes.count == legacy.count + 7, "the section: a count, then the day's number, spend and visits")
    let read = try AccountStateEncoding.decode(legacy)
    #expect(read.tierDays.isEmpty && read.receipts == state.receipts && read.lots == state.lots)
    #expect(AccountStateEncoding.encode(read)[0] == 2)
    // Days out of order are not canonical.
    var twoDays = state
    try twoDays.apply(earn(2, at: Self.day0.adding(days: 1)), rules: StateRules(Self.program))
    var swapped = AccountStateEncoding.encode(twoDays)
    // Each day: 3 bytes of day number, 2 of spend, 1 of visits.
    let first = swapped.count - 12
    swapped.replaceSubrange(first..., with: Array(swapped[(first + 6)...]) + Array(swapped[first..<(first + 6)]))
    #expect(try AccountStateEncoding.decode(AccountStateEncoding.encode(twoDays)).tierDays.days.count == 2)
    #expect(throws: RuleError.self) { try AccountStateEncoding.decode(swapped) }
  }
}

extension Entry {
  /// This entry with another id, amount and points.
  fileprivate func with(id: String, amount: Int64, points: Int64) -> Entry {
    var e = self
    e.id = id
    e.amount = amount
    e.points = points
    return e
  }
}
