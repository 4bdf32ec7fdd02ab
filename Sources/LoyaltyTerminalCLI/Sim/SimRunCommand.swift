import ArgumentParser
import CounterSimulation
import Foundation
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import ScenarioFormat

/// `loyalty-terminal sim run FILE`: plays a scenario through the real firmware.
struct SimRunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Play a scenario through the firmware: simulated readers, real caches and ledger.",
    discussion: "The scenario format is described in sim/README.md; samples are in sim/scenarios/.")

  @Argument(help: "The scenario file (JSON).")
  var file: String

  @Flag(help: "Print the outcome as JSON (balances, tiers, refused, conflicts, ledgerEntries).")
  var json = false

  @Option(help: "Keep the caches, keys and ledger here (default: a temporary directory, removed at the end).")
  var workdir: String?

  @OptionGroup var logging: LoggingOptions

  func run() async throws {
    let scenario: Scenario
    do { scenario = try Scenario.load(path: file) } catch let problems as ValidationProblems {
      throw CommandFailure(
        reason: "invalidScenario",
        message: "\(file) is not a valid scenario:\n" + problems.problems.map { "  " + $0 }.joined(separator: "\n"))
    }
    let directory =
      workdir.map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.temporaryDirectory
      .appendingPathComponent("loyalty-scenario-\(getpid())")
    if workdir != nil, FileManager.default.fileExists(atPath: directory.appendingPathComponent("ledger.jsonl").path) {
      throw ValidationError("--workdir \(directory.path) already holds a ledger; give an empty directory")
    }
    defer { if workdir == nil { try? FileManager.default.removeItem(at: directory) } }
    let runner = try await ScenarioRunner(scenario: scenario, workdir: directory, logger: logging.logger())
    if !json { runner.narrate = { emit($0) } }
    let outcome = try await runner.run()
    if json {
      emit(ScenarioOutcomeJSON.encode(outcome))
    } else {
      emit("")
      for (card, points) in outcome.balances.sorted(by: { $0.key < $1.key }) {
        emit("\(card)  \(points) points  \(outcome.tiers[card] ?? "")")
      }
      emit(
        "refused: \(outcome.refused.count), conflicts: \(outcome.conflicts.count), ledger entries: \(outcome.ledgerEntries)"
      )
      for c in outcome.conflicts { emit("conflict: \(c)") }
      if workdir != nil { emit("files: \(directory.path)") }
    }
  }
}

/// The `--json` shape of a scenario's outcome (keys sorted, so outputs can be compared byte for byte).
enum ScenarioOutcomeJSON {
  static func object(_ o: ScenarioOutcome) -> [String: Any] {
    [
      "balances": o.balances, "tiers": o.tiers,
      "refused": o.refused.map { ["index": $0.index, "reason": $0.reason] as [String: Any] },
      "conflicts": o.conflicts, "ledgerEntries": o.ledgerEntries,
    ]
  }

  static func encode(_ o: ScenarioOutcome) -> String {
    let data = try! JSONSerialization.data(
      withJSONObject: object(o), options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }
}
