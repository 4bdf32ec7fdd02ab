import LoyaltyTerminalCLI
import ArgumentParser
import Foundation
import Ledger
import LoyaltyCore
import NightlySync
import PointsCache

/// `loyalty-terminal bench-ledger-worker` (hidden): one history size of the ledger benchmark in a
/// process of its own. Generates a ledger of N earn entries from 10 terminals (sealed batches of
/// 1 000), times verify+fold, then times a terminal's sync of 10 000 new entries on top of it.
struct LedgerBenchmarkWorker: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench-ledger-worker", shouldDisplay: false)

  @Option var directory: String
  @Option var entries: Int
  @Option var newEntries: Int = 10_000
  @Flag var exportHledger = false

  static let start = UTCInstant(parsing: "2026-01-01T00:00:00Z")!

  func run() throws {
    let dir = URL(fileURLWithPath: directory).appendingPathComponent("ledger-\(entries)")
    let program = try String(
      contentsOf: try RepositoryFile.locate("sim/program.json").orThrow("sim/program.json not found"), encoding: .utf8)
    let chain = try ChainSetup(in: dir, terminals: (0..<11).map { "G\($0)" }, program: program, at: Self.start)
    let (ledger, keys, terminals) = (chain.ledger, chain.keys, chain.terminals)

    // History: earns by G0…G9 on 100 000 accounts.
    var state = try LedgerVerifier.readVerified(path: ledger.path) { _ in }
    var n = 0
    try ledger.withExclusiveLock { locked in
      while n < entries {
        let t = terminals[(n / 1000) % 10]
        let batch = (n..<min(entries, n + 1000)).map { i in Self.earn(i, terminal: t) }
        _ = try locked.append(batch, after: &state, signer: t, key: keys[t]!, at: Self.start.adding(seconds: Int64(n)))
        n += batch.count
      }
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: ledger.path)[.size] as? Int) ?? 0
    printError("bench: \(entries) entries generated")

    let clock = ContinuousClock()
    let foldStart = clock.now
    let (fold, summary) = try LedgerFold.fold(path: ledger.path)
    let foldNs = (clock.now - foldStart).nanoseconds
    let foldPeak = peakResidentKiB()

    var journal = ""
    if exportHledger {
      journal = dir.appendingPathComponent("points.journal").path
      try LedgerExport.export(path: ledger.path, format: .hledger).write(
        toFile: journal, atomically: true, encoding: .utf8)
      try LedgerExport.export(path: ledger.path, format: .beancount).write(
        toFile: dir.appendingPathComponent("points.beancount").path, atomically: true, encoding: .utf8)
    }

    // A terminal (G10) that is up to date with the history: its checkpoint is the verified state
    // at the end of it and its cache knows the 100 000 accounts (without their lots and receipts,
    // which a snapshot would carry: the same cache for every history size, so only the ledger
    // differs). Then 10 000 new entries by another terminal; time G10's sync of them.
    let cache = try PointsCache(path: dir.appendingPathComponent("g10.db").path)
    try cache.importSnapshot(
      program: program,
      accounts: fold.accounts.keys.sorted().map {
        var account = AccountState(id: $0)
        account.enrolledAt = Self.start
        return account
      },
      checkpoint: String(decoding: try JSONEncoder().encode(state), as: UTF8.self),
      position: Int64(state.offset), head: state.head, at: Self.start.adding(days: 300))
    let sync = NightlySync(cache: cache, ledger: ledger, terminal: "G10", key: keys["G10"]!)
    let fresh = (entries..<(entries + newEntries)).map { Self.earn($0, terminal: "G0") }
    // Appended after the state the history left (a full re-verification per batch would only slow the setup).
    try ledger.withExclusiveLock { locked in
      for chunk in stride(from: 0, to: fresh.count, by: 1000) {
        _ = try locked.append(
          Array(fresh[chunk..<min(fresh.count, chunk + 1000)]), after: &state, signer: "G0", key: keys["G0"]!,
          at: Self.start.adding(days: 301))
      }
    }
    let syncStart = clock.now
    let result = try sync.run(at: Self.start.adding(days: 302))
    let syncNs = (clock.now - syncStart).nanoseconds
    guard result.received == newEntries else {
      throw ExternalClient.Failure(description: "sync received \(result.received), expected \(newEntries)")
    }
    emit(
      TapLine.encode([
        "entries": summary.entries, "accounts": fold.accounts.count, "foldNs": foldNs, "fileBytes": size,
        "foldPeakKiB": foldPeak,
        "syncNs": syncNs, "journal": journal, "peakKiB": peakResidentKiB(),
      ]))
  }

  static func earn(_ i: Int, terminal: String) -> LedgerEntry {
    let account = "acct-" + String(format: "%024x", i % 100_000)
    return LedgerEntry(
      kind: .earn, id: "earn-\(terminal)-\(i)", at: start.adding(seconds: Int64(i)), terminal: terminal,
      account: account,
      card: nil, points: Int64(10 + i % 90), amount: Int64(1000 + i % 9000), currency: "EUR",
      receipt: "\(terminal)-\(i)")
  }
}
