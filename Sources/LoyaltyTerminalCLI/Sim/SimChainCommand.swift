import ArgumentParser
import CounterSimulation
import Foundation
import LoyaltyCLISupport

/// `loyalty-terminal sim chain`: generated traffic at a chain of counters, checked after every sync.
struct SimChainCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chain",
    abstract: "Simulate a chain: days of traffic, offline counters, crashes, nightly syncs; check invariants.",
    discussion: """
      After every nightly sync: the ledger verifies; every entry is in it once and every operation a counter \
      acknowledged is in it; every counter that synced shows the ledger's balance for every account. A failure \
      prints the seed that replays it and exits 1.
      """)

  @Option(help: "Counters in the chain (1-50).") var terminals: Int = 3
  @Option(help: "Days to simulate (1-365).") var days: Int = 7
  @Option(help: "Cardholders (1-100000).") var cardholders: Int = 60
  @Option(help: "Seed: the same seed plays the same traffic.") var seed: UInt64 = 1
  @Option(help: "Keep the files here (default: a temporary directory, removed at the end).") var workdir: String?
  @OptionGroup var logging: LoggingOptions

  func validate() throws {
    guard (1...50).contains(terminals) else { throw ValidationError("--terminals must be 1-50") }
    guard (1...365).contains(days) else { throw ValidationError("--days must be 1-365") }
    guard (1...100_000).contains(cardholders) else { throw ValidationError("--cardholders must be 1-100000") }
  }

  func run() async throws {
    let directory =
      workdir.map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-chain-\(getpid())-\(seed)")
    if FileManager.default.fileExists(atPath: directory.appendingPathComponent("ledger.jsonl").path) {
      throw ValidationError("--workdir \(directory.path) already holds a ledger; give an empty directory")
    }
    defer { if workdir == nil { try? FileManager.default.removeItem(at: directory) } }
    let clock = ContinuousClock()
    let started = clock.now
    let simulation = ChainSimulation(
      traffic: ChainTraffic(terminals: terminals, days: days, cardholders: cardholders, seed: seed))
    do {
      let s = try await simulation.run(workdir: directory, logger: logging.logger(), progress: { printError($0) })
      emit(
        "chain: \(terminals) terminals, \(days) days, \(cardholders) cardholders, seed \(seed): \(s.events) events, \(s.refused) refused at the counter, \(s.syncs) nights synced, \(s.checks) invariant checks passed, \(s.ledgerEntries) ledger entries, \(s.balances) accounts; \((clock.now - started).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))"
      )
      let reasons = s.refusals.sorted { $0.value > $1.value }.map { "\($0.value)× \($0.key)" }
      if !reasons.isEmpty { emit("chain: refused at the counter, by reason: \(reasons.joined(separator: "; "))") }
    } catch let failure as ChainSimulation.Failure {
      emit("chain: FAILED: \(failure)")
      emit(
        "  replay: loyalty-terminal sim chain --terminals \(terminals) --days \(days) --cardholders \(cardholders) "
          + "--seed \(seed) --workdir DIR")
      throw ExitCode(1)
    }
  }
}
