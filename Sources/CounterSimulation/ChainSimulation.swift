import Foundation
import Ledger
import Logging

/// Plays generated chain traffic through the firmware and checks the chain's invariants after
/// every nightly sync:
/// - the ledger verifies (chain, seals, keys);
/// - every entry id is in the ledger once, and every operation a terminal acknowledged (its
///   local entries) is in it once it has synced;
/// - every terminal that synced shows the ledger's balance for every account (so they agree).
public struct ChainSimulation {
  public struct Failure: Error, CustomStringConvertible {
    public var seed: UInt64
    public var message: String
    public var description: String { "\(message) (replay with --seed \(seed))" }
  }

  public struct Summary: Sendable {
    public var events: Int
    public var refused: Int
    public var syncs: Int
    public var checks: Int
    public var ledgerEntries: Int
    public var balances: Int
  }

  public var traffic: ChainTraffic
  /// Before each of its syncs, a terminal whose cache is tampered with (the test's hook); its
  /// refused entries are then expected, nobody else's.
  public var tampering: (terminal: String, edit: (ScenarioRunner) throws -> Void)?

  public init(traffic: ChainTraffic) { self.traffic = traffic }

  public func run(workdir: URL, logger: Logger, progress: @escaping (String) -> Void = { _ in }) async throws
    -> Summary
  {
    let scenario = traffic.scenario()
    let runner = try ScenarioRunner(scenario: scenario, workdir: workdir, logger: logger)
    runner.settleSyncs = true
    var syncs = 0
    var checks = 0
    let seed = traffic.seed
    let tampering = tampering
    runner.beforeSync = { runner, t in
      if let tampering, tampering.terminal == t { try tampering.edit(runner) }
    }
    runner.afterSync = { runner, terminals in
      syncs += 1
      checks += try Self.check(
        runner, synced: terminals, seed: seed, refusalsAllowedOf: tampering.map { [$0.terminal] } ?? [])
      progress("sync \(syncs): \(terminals.count) terminals, invariants hold")
    }
    let outcome = try await runner.run()
    return Summary(
      events: scenario.events.count, refused: outcome.refused.count, syncs: syncs, checks: checks,
      ledgerEntries: outcome.ledgerEntries, balances: outcome.balances.count)
  }

  /// The invariants after a sync of `synced`; returns how many facts were checked.
  static func check(
    _ runner: ScenarioRunner, synced: [String], seed: UInt64, refusalsAllowedOf allowed: Set<String> = []
  ) throws -> Int {
    func fail(_ m: String) -> Failure { Failure(seed: seed, message: m) }
    var ids: [String: Int] = [:]
    var fold = LedgerFold()
    do {
      _ = try LedgerVerifier.readVerified(
        path: runner.ledgerPath,
        each: { line in
          ids[line.id, default: 0] += 1
          _ = fold.take(line)
        }, excluded: { fold.exclude($0) })
    } catch {
      throw fail("the ledger does not verify: \(error)")
    }
    var checks = 1
    // Honest traffic: HQ's audit re-derives every counter entry and refuses none.
    if let r = fold.audit.refusals.first(where: { !allowed.contains($0.terminal) }) {
      throw fail("the audit refused \(r.id) of \(r.terminal) (seq \(r.seq)): \(r.reason)")
    }
    if let x = fold.exclusions.first {
      throw fail("the audit left out lines \(x.firstLine)-\(x.sealLine): \(x.reason)")
    }
    if let (id, n) = ids.first(where: { $0.value > 1 }) { throw fail("entry \(id) is in the ledger \(n) times") }
    for t in synced {
      let cache = runner.cache(t)
      for id in try cache.localEntryIds() {
        checks += 1
        guard ids[id] == 1 else { throw fail("\(t) acknowledged \(id), which the ledger holds \(ids[id] ?? 0) times") }
      }
      let shown = try cache.balances()
      for (account, state) in fold.accounts {
        checks += 1
        guard shown[account] == state.balance else {
          throw fail(
            "\(t) shows \(shown[account].map(String.init) ?? "nothing") for \(account); the ledger says \(state.balance)"
          )
        }
      }
    }
    return checks
  }
}
