import ArgumentParser
import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import PointsCache

/// `loyalty-terminal campaign tamper`: every single-byte change of a sample ledger is caught.
struct TamperCampaign: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tamper", abstract: "Change every byte of a sample ledger in turn; verification must catch each.")

  @Option(help: "Also check this many of the changed ledgers with the `ledger verify` command itself.")
  var throughCLI: Int = 50
  @Option(help: "Working directory (default: a temporary one, removed at the end).") var workdir: String?

  func run() async throws {
    let dir = campaignDirectory(workdir, "tamper")
    defer { if workdir == nil { try? FileManager.default.removeItem(at: dir) } }
    let world = try await CampaignWorld(directory: dir, terminals: 2)
    // Both terminals sync some earns: HQ and terminal seals, registrations, the program.
    for (i, t) in world.terminals.enumerated() {
      let cache = try PointsCache(path: world.cachePath(t))
      for n in 0..<4 {
        _ = try cache.earn(
          card: world.card(t), lines: [PurchaseLine(category: "fresh", amount: 990 + Int64(n))], receipt: "\(t)-\(n)",
          context: .init(
            terminal: t, operator: "campaign", at: CampaignWorld.start.adding(seconds: Int64(i * 10 + n) * 3600)))
      }
      _ = try await terminal(world.syncArguments(t, at: CampaignWorld.start.adding(days: 2)))
    }
    let original = Array(try Data(contentsOf: URL(fileURLWithPath: world.ledger.path)))
    _ = try LedgerVerifier().verify(original)
    let clock = ContinuousClock()
    let started = clock.now
    var missed: [Int] = []
    for i in original.indices {
      var changed = original
      changed[i] ^= 0x01 << UInt8(i % 8)  // a different bit at each position
      // Caught: the chain breaks, or the last batch's seal no longer holds and every reader
      // leaves the batch out (`ledger verify` exits 1 naming it).
      if let summary = try? LedgerVerifier().verify(changed), summary.excludedBatches == 0 { missed.append(i) }
    }
    // The command an auditor runs, on a spread of the changed files.
    var cliMissed = 0
    let file = dir.appendingPathComponent("tampered.jsonl")
    for k in 0..<min(throughCLI, original.count) {
      let i = k * original.count / max(1, throughCLI)
      var changed = original
      changed[i] ^= 0x20
      try Data(changed).write(to: file)
      if try await hq(["ledger", "verify", "--ledger", file.path]).status == 0 { cliMissed += 1 }
    }
    emit(
      "campaign tamper: \(original.count) single-byte changes of a \(original.count)-byte ledger, \(missed.count) not caught; \(throughCLI) checked through `ledger verify`, \(cliMissed) not caught; \(seconds(since: started, clock)) s"
    )
    for i in missed.prefix(10) { emit("  byte \(i) changed and still verifies") }
    if !missed.isEmpty || cliMissed > 0 { throw ExitCode(1) }
  }
}
