import ArgumentParser
import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import PointsCache

/// `loyalty-terminal campaign concurrency`: many terminal processes syncing into one ledger at once.
struct ConcurrencyCampaign: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "concurrency", abstract: "Many terminal processes syncing into one ledger at once, round after round.")

  @Option(help: "Terminal processes per round.") var terminals: Int = 20
  @Option(help: "Rounds.") var rounds: Int = 10
  @Option(help: "Earns each terminal records offline before each round.") var earns: Int = 5
  @Option(help: "Working directory (default: a temporary one, removed at the end).") var workdir: String?

  func run() async throws {
    let dir = campaignDirectory(workdir, "concurrency")
    defer { if workdir == nil { try? FileManager.default.removeItem(at: dir) } }
    let world = try await CampaignWorld(directory: dir, terminals: terminals)
    let clock = ContinuousClock()
    let started = clock.now
    var failures: [String] = []
    var syncs = 0
    for round in 0..<rounds {
      let day = CampaignWorld.start.adding(days: round)
      for t in world.terminals {
        let cache = try PointsCache(path: world.cachePath(t))
        for n in 0..<earns {
          _ = try cache.earn(
            card: world.card(t), lines: [PurchaseLine(category: "fresh", amount: 1_000 + Int64(n))],
            receipt: "\(t)-\(round)-\(n)",
            context: OperationContext(terminal: t, operator: "campaign", at: day.adding(seconds: Int64(n) * 3600)))
        }
      }
      // Every terminal at once: the ledger's lock must serialise them.
      let outcomes = try await withThrowingTaskGroup(of: (String, Child.Outcome).self) { group in
        for t in world.terminals {
          let arguments = world.syncArguments(t, at: day.adding(seconds: 22 * 3600))
          group.addTask { (t, try await terminal(arguments)) }
        }
        return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
      }
      for t in world.terminals {
        let outcome = outcomes[t]!
        syncs += 1
        if outcome.status != 0 {
          failures.append(
            "round \(round): \(t)'s sync exited \(outcome.status): \(outcome.lines.joined(separator: " "))")
        }
      }
      if let problem = try world.check(synced: world.terminals) { failures.append("round \(round): \(problem)") }
      if !failures.isEmpty { break }
    }
    // Everyone learns everything; then every cache shows the ledger's balances.
    if failures.isEmpty {
      let late = CampaignWorld.start.adding(days: rounds + 1)
      for t in world.terminals { _ = try await terminal(world.syncArguments(t, at: late)) }
      let (fold, _) = try LedgerFold.fold(path: world.ledger.path)
      for t in world.terminals {
        let shown = try PointsCache(path: world.cachePath(t)).balances()
        for (account, state) in fold.accounts where shown[account] != state.balance {
          failures.append("\(t) shows \(shown[account] ?? 0) for \(account); the ledger says \(state.balance)")
        }
      }
    }
    let entries = try LedgerVerifier().verify(path: world.ledger.path).entries
    emit(
      "campaign concurrency: \(terminals) processes × \(rounds) rounds (\(syncs) concurrent syncs), \(entries) ledger entries, \(failures.count) failures, \(seconds(since: started, clock)) s"
    )
    for f in failures.prefix(10) { emit("  \(f)") }
    if !failures.isEmpty { throw ExitCode(1) }
  }
}
