import CounterSimulation
import Foundation
import LoyaltyCore
import ScenarioFormat
import TestSupport
import Testing

/// The sample scenarios under sim/scenarios, played by the real CLI, against their expected outputs.
@Suite("Scenarios through the firmware")
struct ScenarioTests {
  static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../sim/scenarios").standardized

  func run(_ arguments: [String], binary: String = BuiltProducts.loyaltyTerminal) async throws -> (
    status: Int32, output: String
  ) {
    let child = try ChildProcess(binary, arguments)
    child.killAfter(seconds: 60)
    var lines: [String] = []
    for await line in child.lines { lines.append(line) }
    return (child.stop(with: 0) ?? -1, lines.joined(separator: "\n"))
  }

  @Test(arguments: ["two-counters", "issue-example", "unknown-card", "pending-points", "regions", "tier-days"])
  func sampleScenarioGivesItsExpectedOutput(name: String) async throws {
    let file = Self.scenarios.appendingPathComponent("\(name).json").path
    let expected = try String(
      contentsOf: Self.scenarios.appendingPathComponent("\(name).expected.json"), encoding: .utf8)
    let (status, output) = try await run(["sim", "run", file, "--json"])
    #expect(status == 0)
    #expect(
      output.trimmingCharacters(in: .whitespacesAndNewlines) == expected.trimmingCharacters(in: .whitespacesAndNewlines)
    )
  }

  @Test func aBadScenarioIsRefusedNamingEveryProblem() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent("bad.json")
    try Data(
      """
      {"program": {"version": 1}, "terminals": ["T01"], "events": [
        {"at": "2026-11-02T09:00:00Z", "terminal": "T09", "card": "04A1B2C3", "redeem": "coffee"},
        {"at": "2026-11-02T08:00:00Z", "terminal": "T01", "card": "04A1B2C3",
         "purchase": {"lines": [{"category": "fresh", "amount": -1}]}},
        {"at": "2026-11-02T10:00:00Z", "terminal": "T01", "teleport": true}]}
      """.utf8
    ).write(to: file)
    let workdir = dir.appendingPathComponent("work")
    let (status, output) = try await run(["sim", "run", file.path, "--json", "--workdir", workdir.path])
    #expect(status != 0)
    // With --json the refusal is the one JSON error object, every problem in its message.
    let error = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
    #expect(error["reason"] as? String == "invalidScenario")
    #expect((error["error"] as? String)?.contains("events[2]: needs exactly one of") == true, "\(error)")
    #expect(!FileManager.default.fileExists(atPath: workdir.appendingPathComponent("ledger.jsonl").path))

    #expect {
      _ = try Scenario.parse(try Data(contentsOf: file)) { _ in nil }
    } throws: { error in
      let problems = (error as? ValidationProblems)?.problems ?? []
      return problems.contains { $0.hasPrefix("events[0].terminal: T09") }
        && problems.contains { $0.hasPrefix("events[1].purchase.lines[0].amount") }
        && problems.contains { $0.hasPrefix("events[1].at") }
        && problems.contains { $0.hasPrefix("events[2]: needs exactly one of") }
        // The line refused said why; no second problem that the purchase has no line.
        && !problems.contains { $0.hasPrefix("events[1].purchase.lines: needs at least one line") }
    }
    let empty = Data(
      #"{"program": {}, "terminals": ["T01"], "events": [{"at": "2026-11-02T09:00:00Z", "terminal": "T01", "card": "04A1B2C3", "purchase": {"lines": []}}]}"#
        .utf8)
    #expect {
      _ = try Scenario.parse(empty) { _ in nil }
    } throws: { error in
      (error as? ValidationProblems)?.problems.contains("events[0].purchase.lines: needs at least one line") == true
    }
  }

  /// A scenario's program is checked with the scenario: its problems name the file and where.
  @Test func aScenariosProgramIsRefusedNamingItsFileAndItsProblem() throws {
    let program = String(
      decoding: try Data(contentsOf: Self.scenarios.appendingPathComponent("../program.json")), as: UTF8.self)
    let twice = program.replacingOccurrences(of: "{", with: "{\"version\": 7, ", options: .anchored)
    let scenario = Data(#"{"program": "p.json", "terminals": ["T01"], "events": []}"#.utf8)
    #expect {
      _ = try Scenario.parse(scenario) { $0 == "p.json" ? twice : nil }
    } throws: { error in
      (error as? ValidationProblems)?.problems.contains {
        $0.hasPrefix("program: p.json: key \"version\" is given twice in one object: keep one (line ")
      } == true
    }
    #expect {
      _ = try Scenario.parse(scenario) { _ in nil }
    } throws: { error in
      (error as? ValidationProblems)?.problems == ["program: cannot read p.json (no such file, or not UTF-8 text)"]
    }
    let inline = Data(#"{"program": {"format": 2.0}, "terminals": ["T01"], "events": []}"#.utf8)
    #expect {
      _ = try Scenario.parse(inline) { _ in nil }
    } throws: { error in
      (error as? ValidationProblems)?.problems.contains { $0.hasPrefix("program: format: must be 1 or 2") } == true
    }
  }
}

@Suite("The demo")
struct DemoTests {
  @Test func theDemoTellsTheDayAndEndsWithTheBalances() async throws {
    let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
    let (status, output) = try await ScenarioTests().run(["demo", "--workdir", workdir.path])
    #expect(status == 0)
    // Her 5 points earned at C2 before it knew her card are in her balance after the sync.
    #expect(output.contains("Alice  card 04A1B2C3D4E5F6  94 points"))
    #expect(output.contains("Bob  card 6280001234567895  57 points"))
    #expect(output.contains("Carol  card 04C0FFEE112233  49 points"))
    #expect(output.contains("added at next sync"))
    #expect(output.contains("Refused at the counter: 0. Conflicts: none."))
    #expect(output.contains("Files: \(workdir.path)"))
    // The files it names are there, and the ledger verifies.
    let (verified, text) = try await ScenarioTests().run(
      ["ledger", "verify", "--ledger", workdir.appendingPathComponent("ledger.jsonl").path],
      binary: BuiltProducts.loyaltyHQ)
    #expect(verified == 0 && text.hasPrefix("ok: 15 entries"))
  }
}
