import ArgumentParser
import CounterFirmware
import CounterSimulation
import Foundation
import LoyaltyCLISupport
import ScenarioFormat

/// `loyalty-terminal demo`: a narrated day at the two counters of one shop.
struct DemoCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "A narrated day at two counters: taps, earning, a redemption, a refund, an offline counter, the sync.",
    discussion: """
      Runs the real firmware on simulated readers, with real SQLite caches, keys and ledger in a \
      temporary directory (kept, so you can look: its path is printed at the end).
      """)

  @Option(help: "Where to keep the files (default: a new temporary directory).")
  var workdir: String?

  @OptionGroup var logging: LoggingOptions

  func run() async throws {
    let directory =
      workdir.map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "loyalty-demo-\(UUID().uuidString.prefix(8).lowercased())")
    if FileManager.default.fileExists(atPath: directory.appendingPathComponent("ledger.jsonl").path) {
      throw ValidationError("--workdir \(directory.path) already holds a ledger; give an empty directory")
    }
    let scenario = try DemoDay.load()
    let runner = try await ScenarioRunner(scenario: scenario, workdir: directory, logger: logging.logger())
    emit("A day at the Corner Shop: counters C1 and C2, one loyalty program, HQ's ledger.\n")
    runner.beforeEvent = { index, event in
      emit("\(event.at.description.dropFirst(11).prefix(5))  \(DemoDay.story[index])")
    }
    runner.onScreen = { terminal, screen in
      let lines = screen.lines.map { $0.padding(toLength: Screen.width, withPad: " ", startingAt: 0) }
      emit("       \(terminal) ┌" + String(repeating: "─", count: Screen.width) + "┐")
      for line in lines { emit("          │\(line)│") }
      emit("          └" + String(repeating: "─", count: Screen.width) + "┘")
    }
    runner.narrate = { line in if line.hasPrefix("  ") { emit("     " + line) } }
    let outcome = try await runner.run()

    emit("\nBalances after the night's sync (both counters agree with the ledger):")
    let names = [DemoDay.alice: "Alice", DemoDay.bob: "Bob", DemoDay.carol: "Carol"]
    for (card, points) in outcome.balances.sorted(by: { $0.key < $1.key }) {
      emit("  \(names[card] ?? card)  card \(card)  \(points) points  \(outcome.tiers[card] ?? "")")
    }
    emit(
      "Refused at the counter: \(outcome.refused.count). Conflicts: \(outcome.conflicts.isEmpty ? "none" : outcome.conflicts.joined(separator: "; ")). Ledger entries: \(outcome.ledgerEntries)."
    )
    emit("\nFiles: \(directory.path)")
    emit("  ledger.jsonl   HQ's ledger (try: loyalty-hq ledger verify --ledger \(directory.path)/ledger.jsonl)")
    emit("  C1.db, C2.db   the counters' SQLite caches; *.key the Ed25519 keys (mode 600)")
  }
}
