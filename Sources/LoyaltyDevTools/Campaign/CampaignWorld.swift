import CounterSimulation
import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore
import LoyaltyTerminalCLI
import NightlySync
import PointsCache
import ScenarioFormat

/// A chain on disk for the fault campaigns: HQ's key and ledger, terminals with registered keys
/// and caches holding the program and one enrolled card each. Children are real processes of
/// this executable.
struct CampaignWorld {
  let directory: URL
  let hq: LedgerKey
  let ledger: LedgerFile
  let terminals: [String]
  /// Early enough that the full crash campaign (1 000 iterations of 30 hours) stays in the past: a sync is never
  /// dated ahead of the machine's clock.
  static let start = UTCInstant(parsing: "2020-01-02T08:00:00Z")!

  init(directory: URL, terminals count: Int) async throws {
    self.directory = directory
    terminals = (1...count).map { "T" + String(format: "%02d", $0) }
    let chain = try ChainSetup(in: directory, terminals: terminals, program: DemoDay.program, at: Self.start)
    hq = chain.hq
    ledger = chain.ledger
    for t in terminals {
      let cache = try PointsCache(path: cachePath(t))
      // A counter joins the chain with a first sync: its program comes from HQ's ledger.
      _ = try await NightlySync(
        cache: cache, connection: LocalLedgerConnection(ledger: ledger), terminal: t, key: chain.keys[t]!
      ).run(at: Self.start)
      let context = OperationContext(terminal: t, operator: "campaign", at: Self.start)
      _ = try cache.enroll(card: card(t), referrer: nil, context: context)
    }
  }

  func keyPath(_ t: String) -> String { directory.appendingPathComponent("\(t).key").path }
  func cachePath(_ t: String) -> String { directory.appendingPathComponent("\(t).db").path }
  /// Each terminal's own customer: a UID derived from the terminal's number.
  func card(_ t: String) -> String { "04C0FFEE" + String(format: "%06d", Int(t.dropFirst())!) }

  func syncArguments(_ t: String, at: UTCInstant) -> [String] {
    [
      "sync", "--cache", cachePath(t), "--ledger", ledger.path, "--terminal", t, "--key", keyPath(t), "--at",
      at.description,
    ]
  }

  /// The chain's invariants: the ledger verifies; every id in it once; every entry each terminal
  /// recorded is in it (when `synced`); returns a failure message or nil.
  func check(synced: [String]) throws -> String? {
    var ids: [String: Int] = [:]
    do {
      _ = try LedgerVerifier.readVerified(path: ledger.path) { ids[$0.id, default: 0] += 1 }
    } catch {
      return "the ledger does not verify: \(error)"
    }
    if let (id, n) = ids.first(where: { $0.value > 1 }) { return "\(id) is in the ledger \(n) times" }
    for t in synced {
      let cache = try PointsCache(path: cachePath(t))
      if let problem = try cache.consistencyProblems().first { return "\(t)'s cache: \(problem)" }
      for id in try cache.localEntryIds() where ids[id] != 1 {
        return "\(t) recorded \(id); the ledger holds it \(ids[id] ?? 0) times"
      }
    }
    return nil
  }
}

/// `loyalty-terminal` run as a child process, to its end.
func terminal(_ arguments: [String], killAfter delay: Duration? = nil) async throws -> Child.Outcome {
  try await Child.run(ProductBinary.loyaltyTerminal.path, arguments, killAfter: delay)
}

/// `loyalty-hq` (HQ's commands) run as a child process, to its end.
func hq(_ arguments: [String]) async throws -> Child.Outcome {
  try await Child.run(ProductBinary.loyaltyHQ.path, arguments)
}
