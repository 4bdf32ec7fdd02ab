import Foundation
import LoyaltyCore
import Testing

/// The program's regions (partial replicas): read with their days and shops; a terminal in two
/// regions, a region without terminals, a bad name or days out of range refuse the program with
/// every problem named.
@Suite("The program's regions")
struct ProgramRegionsTests {
  @Test func regionsAreReadAndATerminalFindsItsOwn() throws {
    let data = Fixtures.programJSON { o in
      o["regions"] = ["days": 30, "shops": ["north": ["T01", "T02"], "south": ["T03"]]]
    }
    let regions = try #require(try ProgramParser.parse(data).regions)
    #expect(regions.days == 30)
    #expect(regions.region(of: "T02") == "north")
    #expect(regions.region(of: "T03") == "south")
    #expect(regions.region(of: "T04") == nil)
    // A member while its last entry there is within the days: day 100's entry holds through day 129.
    #expect(regions.holds(lastDay: 100, on: 129))
    #expect(!regions.holds(lastDay: 100, on: 130))
    #expect(Fixtures.program.regions == nil)
  }

  @Test func badRegionsRefuseTheProgramWithEveryProblemNamed() {
    let data = Fixtures.programJSON { o in
      o["regions"] = ["days": 0, "shops": ["North": ["T01"], "south": ["T01", "HQ"], "east": [String]()]]
    }
    let error = #expect(throws: ValidationProblems.self) { try ProgramParser.parse(data) }
    let problems = error?.problems ?? []
    for expected in [
      "regions.days", "regions.shops.North: region name \"North\" must be",
      "regions.shops.south[0]: terminal T01 is already in region North", "regions.shops.south[1]: terminal id \"HQ\"",
      "regions.shops.east: a region needs at least one terminal",
    ] {
      #expect(problems.contains { $0.hasPrefix(expected) }, "missing \"\(expected)\" in \(problems)")
    }
  }
}
