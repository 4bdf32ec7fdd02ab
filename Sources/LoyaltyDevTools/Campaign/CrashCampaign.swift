import ArgumentParser
import CounterSimulation
import Foundation
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import PointsCache

/// `loyalty-terminal campaign crash`: SIGKILL during earns and during syncs at random instants.
struct CrashCampaign: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "crash",
    abstract: "SIGKILL earn and sync processes at random instants; nothing acknowledged is lost or doubled.")

  @Option(help: "Iterations (each kills one earn loop and one sync).") var iterations: Int = 1_000
  @Option(help: "Seed for the kill instants.") var seed: UInt64 = 1
  @Option(help: "Working directory (default: a temporary one, removed at the end).") var workdir: String?

  func run() async throws {
    let dir = campaignDirectory(workdir, "crash")
    defer { if workdir == nil { try? FileManager.default.removeItem(at: dir) } }
    let world = try await CampaignWorld(directory: dir, terminals: 1)
    let t = world.terminals[0]
    let card = world.card(t)
    var rng = SplitMix64(seed: seed)
    var acknowledged = Set<String>()
    var failures: [String] = []
    var killedEarns = 0
    var killedSyncs = 0
    let clock = ContinuousClock()
    let started = clock.now
    for i in 0..<iterations {
      // An earn loop of 20 purchases an hour apart, killed 10–120 ms in (the child starts in ≈ 20 ms).
      let at = CampaignWorld.start.adding(seconds: Int64(i) * 30 * 3600)
      let earn = try await Child.run(
        ProductBinary.devtools.path,
        [
          "earn-loop", card, "--count", "20", "--prefix", "I\(i)-", "--cache", world.cachePath(t), "--terminal", t,
          "--at", at.description,
        ], killAfter: .milliseconds(10 + Int(rng.next() % 110)))
      if earn.status != 0 { killedEarns += 1 }
      acknowledged.formUnion(earn.lines.filter { $0.hasPrefix("I\(i)-") })

      // A sync killed 10–120 ms in.
      let sync = try await terminal(
        world.syncArguments(t, at: at.adding(seconds: 25 * 3600)), killAfter: .milliseconds(10 + Int(rng.next() % 110)))
      if sync.status != 0 { killedSyncs += 1 }

      if i % 50 == 49 || i == iterations - 1 {
        if let problem = try await check(world, t, card, acknowledged, at: at.adding(seconds: 26 * 3600)) {
          failures.append("iteration \(i): \(problem)")
          break
        }
      }
    }
    emit(
      "campaign crash: \(iterations) iterations (\(killedEarns) earn loops and \(killedSyncs) syncs killed mid-run), \(acknowledged.count) acknowledged earns, \(failures.count) failures, seed \(seed), \(seconds(since: started, clock)) s"
    )
    for f in failures { emit("  \(f)") }
    if !failures.isEmpty { throw ExitCode(1) }
  }

  /// A clean sync, then: every acknowledged earn is in the cache once and in the ledger once;
  /// nothing is doubled; the ledger verifies.
  func check(_ world: CampaignWorld, _ t: String, _ card: String, _ acknowledged: Set<String>, at: UTCInstant)
    async throws -> String?
  {
    let clean = try await terminal(world.syncArguments(t, at: at))
    let (status, lines) = (clean.status, clean.lines)
    guard status == 0 else { return "the clean sync failed: \(lines.joined(separator: " "))" }
    let cache = try PointsCache(path: world.cachePath(t))
    let earns = try cache.history(card: card).map(\.record).filter { $0.kind == .earn }
    // Receipts are scoped by their till (T01/I3-7); the earn loop acknowledges the number.
    let receipts = earns.compactMap { $0.receipt.flatMap { $0.split(separator: "/").last.map(String.init) } }
    guard Set(receipts).count == receipts.count else { return "an earn is recorded twice in the cache" }
    if let lost = acknowledged.first(where: { !Set(receipts).contains($0) }) {
      return "acknowledged earn \(lost) is not in the cache"
    }
    return try world.check(synced: [t])
  }
}

func campaignDirectory(_ workdir: String?, _ name: String) -> URL {
  workdir.map { URL(fileURLWithPath: $0) }
    ?? FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-campaign-\(name)-\(getpid())")
}

func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> String {
  let d = clock.now - start
  return String(format: "%.1f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}
