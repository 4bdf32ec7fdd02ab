import Foundation
import LoyaltyCore
import Testing

/// The issue's example program (sim/program.json), parsed once.
enum Fixtures {
  static let programText = """
    {"version": 1, "currency": "EUR", "minorUnits": 2,
     "earn": {"pointsPerUnit": "1", "categories": {"fresh": "2", "fuel": "0.5", "tobacco": "0"}},
     "promotions": [{"id": "fresh-x2", "from": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z",
                     "categories": ["fresh"], "multiplier": "2"}],
     "tiers": [{"name": "Bronze", "multiplier": "1"},
               {"name": "Silver", "minSpend": 50000, "minVisits": 12, "multiplier": "1.25"},
               {"name": "Gold", "minSpend": 200000, "minVisits": 40, "multiplier": "1.5"}],
     "tierWindowDays": 365,
     "referral": {"referrerPoints": 200, "refereePoints": 100, "minFirstPurchase": 2000},
     "expiryDays": 365,
     "catalogue": [{"id": "coffee", "kind": "product", "points": 150, "name": "Free coffee"},
                   {"id": "gift10", "kind": "giftCard", "points": 1000, "name": "10 EUR gift card"},
                   {"id": "charity", "kind": "donation", "points": 100, "name": "Food bank"}],
     "limits": {"debounceSeconds": 3, "maxEarnsPerCardPerHour": 5, "offlineRedeemPointsPerDay": 2000}}
    """
  static let program = try! ProgramParser.parse(Data(programText.utf8))

  static func t(_ s: String) -> UTCInstant { UTCInstant(parsing: s)! }

  /// The example program with `edit` applied to its JSON object.
  static func programJSON(_ edit: (inout [String: Any]) -> Void) -> Data {
    var object = try! JSONSerialization.jsonObject(with: Data(programText.utf8)) as! [String: Any]
    edit(&object)
    return try! JSONSerialization.data(withJSONObject: object)
  }
}

@Suite("Program definitions")
struct ProgramTests {
  @Test func theExampleProgramParses() throws {
    let p = Fixtures.program
    #expect(p.currency == "EUR" && p.minorUnits == 2)
    #expect(p.rate(of: "fuel") == Decimal4(parsing: "0.5"))
    #expect(p.rate(of: "unlisted") == .one)
    #expect(p.tiers.map(\.name) == ["Bronze", "Silver", "Gold"])
    #expect(p.item("gift10")?.kind == .giftCard)
    #expect(p.promotions[0].until == Fixtures.t("2026-12-01T00:00:00Z"))
  }

  @Test func theCopyUnderSimIsTheSameProgram() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "../../sim/program.json")
    #expect(try ProgramParser.parse(Data(contentsOf: url)) == Fixtures.program)
  }

  @Test func aBadProgramIsRefusedWithEveryProblemListed() {
    let data = Fixtures.programJSON { o in
      o["colour"] = "blue"
      o["earn"] = ["pointsPerUnit": "-1", "categories": ["fuel": "0.12345", "wine": 2]]
      o["promotions"] = [
        ["id": "p", "from": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z", "multiplier": "2"],
        ["id": "q", "from": "2026-13-01T00:00:00Z", "until": "2026-12-01T00:00:00Z", "multiplier": "2"],
      ]
      o["tiers"] = [
        ["name": "Bronze", "multiplier": "1"],
        ["name": "Silver", "minSpend": 50000, "multiplier": "1.25"],
        ["name": "Gold", "minSpend": 40000, "multiplier": "1.5"],
      ]
    }
    let error = #expect(throws: ValidationProblems.self) { try ProgramParser.parse(data) }
    let problems = error?.problems ?? []
    for expected in [
      "colour: unknown field", "earn.pointsPerUnit: must not be negative", "earn.categories.fuel",
      "earn.categories.wine",
      "promotions[0].until", "promotions[1].from", "tiers[2].minSpend: 40000 does not rise",
    ] {
      #expect(problems.contains { $0.hasPrefix(expected) }, "missing \"\(expected)\" in \(problems)")
    }
    #expect(problems.count == 7, "\(problems)")
  }

  @Test(arguments: ["", "[]", "{", #"{"version": 1}"#])
  func nonProgramsAreRefused(_ text: String) {
    #expect(throws: ValidationProblems.self) { try ProgramParser.parse(Data(text.utf8)) }
  }

  @Test(
    arguments: [
      ("0", 0), ("1", 10_000), ("0.5", 5_000), ("1.25", 12_500), ("2.0001", 20_001), ("1000000000", 10_000_000_000_000),
    ] as [(String, Int64)])
  func decimalsParseExactly(_ text: String, _ scaled: Int64) {
    #expect(Decimal4(parsing: text)?.scaled == scaled)
  }

  @Test(arguments: ["", "-1", "+1", "1.", ".5", "1.23456", "1e3", " 1", "1,5", "0x10", "1000000001", "١"])
  func decimalsRefuseEverythingElse(_ text: String) {
    #expect(Decimal4(parsing: text) == nil)
  }

  @Test func instantsParseStrictlyAndPrintBack() {
    #expect(Fixtures.t("1970-01-01T00:00:00Z").seconds == 0)
    #expect(Fixtures.t("2026-11-02T09:15:00Z").description == "2026-11-02T09:15:00Z")
    #expect(Fixtures.t("2024-02-29T23:59:59Z").day == Fixtures.t("2024-02-29T00:00:00Z").day)
    for bad in [
      "2026-11-02T09:15:00", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-02 09:15:00Z",
      "2026-11-02T24:00:00Z", "1969-12-31T23:59:59Z", "2026-11-02T09:15:00+01:00",
    ] {
      #expect(UTCInstant(parsing: bad) == nil, "\(bad)")
    }
  }
}
