import ArgumentParser
import CounterSimulation
import Foundation
import HQClient
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import NightlySync
import PointsCache

/// `loyalty-devtools bench-network-worker` (hidden): one phase of the network benchmark, in a
/// process of its own (so each peak RSS is its own).
///
/// - `generate`: an honest history — 100 000 enrolments, HQ's snapshot there, then N purchases
///   from 10 terminals — and G10, the terminal whose sync is timed, registered at the end.
/// - `bootstrap`: G10's cache from the snapshot (and a copy of it for the sqlite3 baseline).
/// - `sync`: G10 syncs through HQ's service at `--url`: downloads and applies the N entries.
/// - `baseline`: the `sqlite3` CLI inserts the same N entry rows into the copy, one transaction.
struct NetworkBenchmarkWorker: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench-network-worker", shouldDisplay: false)

  @Option var directory: String
  @Option var entries: Int
  @Option var phase: String
  @Option var url: String?

  static let enrolments = 100_000
  var dir: URL { URL(fileURLWithPath: directory).appendingPathComponent("net-\(entries)") }
  var ledgerPath: String { dir.appendingPathComponent("ledger.jsonl").path }
  var snapshotPath: String { dir.appendingPathComponent("snapshot.json").path }
  var cachePath: String { dir.appendingPathComponent("g10.db").path }
  var baselinePath: String { dir.appendingPathComponent("g10-baseline.db").path }

  func run() async throws {
    let clock = ContinuousClock()
    var out: [String: Any] = ["entries": entries]
    switch phase {
    case "generate":
      let program = try RepositoryFile.exampleProgram()
      let terminals = (0..<10).map { "G\($0)" }
      let chain = try ChainSetup(in: dir, terminals: terminals, program: program, at: LedgerBenchmarkWorker.start)
      var world = try HonestTraffic(chain: chain, program: program)
      try world.append(Self.enrolments, terminals: terminals)
      let snapshot = try LedgerSnapshot.make(fold: world.audited.fold, state: world.audited.state, hqKey: chain.hq)
      try JSONEncoder().encode(snapshot).write(to: URL(fileURLWithPath: snapshotPath))
      out["snapshotOffset"] = snapshot.ledger.offset
      try world.append(entries, terminals: terminals)
      let g10 = try LedgerKey.generate(at: dir.appendingPathComponent("G10.key").path)
      let registration = Entry(
        kind: .terminalRegister, id: "register-G10", at: world.now, terminal: Entry.hq, ref: "G10",
        data: g10.publicKeyBase64)
      try chain.ledger.withExclusiveLock { locked in
        _ = try locked.admit(
          [registration], to: &world.audited, signer: Entry.hq, key: chain.hq, at: world.now, allOrNothing: true)
      }
      out["fileBytes"] = (try? FileManager.default.attributesOfItem(atPath: ledgerPath)[.size] as? Int) ?? 0
    case "bootstrap":
      let data = try Data(contentsOf: URL(fileURLWithPath: snapshotPath))
      let snapshot = try JSONDecoder().decode(LedgerSnapshot.self, from: data)
      let cache = try PointsCache(path: cachePath)
      let sync = NightlySync(
        cache: cache, connection: LocalLedgerConnection(ledger: LedgerFile(path: ledgerPath)), terminal: "G10",
        key: try LedgerKey.load(from: dir.appendingPathComponent("G10.key").path))
      try await sync.bootstrap(from: snapshot, at: LedgerBenchmarkWorker.start.adding(days: 1))
      try cache.backup(to: baselinePath)
    case "sync":
      let connection = try HQConnection(
        baseURL: url ?? "", logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }, clock: { .wallClock })
      let sync = NightlySync(
        cache: try PointsCache(path: cachePath), connection: connection, terminal: "G10",
        key: try LedgerKey.load(from: dir.appendingPathComponent("G10.key").path))
      let began = clock.now
      let summary = try await sync.run(
        at: LedgerBenchmarkWorker.start.adding(days: 300))
      out["ns"] = (clock.now - began).nanoseconds
      out["received"] = summary.received
      await connection.close()
    case "baseline":
      out["ns"] = try await baseline()
    default:
      throw ValidationError("--phase must be generate, bootstrap, sync or baseline")
    }
    out["peakKiB"] = peakResidentKiB()
    emit(JSONLine.encode(out))
  }

  /// The floor SQLite and this disk allow: the same N entry rows (every column the apply writes)
  /// inserted by the `sqlite3` CLI into a copy of the bootstrapped cache, in one transaction.
  func baseline() async throws -> Int64 {
    let snapshot = try JSONDecoder().decode(
      LedgerSnapshot.self, from: try Data(contentsOf: URL(fileURLWithPath: snapshotPath)))
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: ledgerPath))
    try handle.seek(toOffset: UInt64(snapshot.ledger.offset))
    let bytes = try handle.readToEnd() ?? Data()
    let scriptPath = dir.appendingPathComponent("baseline.sql").path
    FileManager.default.createFile(atPath: scriptPath, contents: nil)
    let script = try FileHandle(forWritingTo: URL(fileURLWithPath: scriptPath))
    try script.write(
      contentsOf: Data(
        "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\nPRAGMA cache_size = -32768;\nBEGIN;\n".utf8))
    func q(_ s: String?) -> String { s.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }
    var text = ""
    for line in bytes.split(separator: 0x0A) {
      guard let e = try? LedgerLine.parseEntry(ArraySlice(line), line: 0), e.kind.concernsAnAccount else { continue }
      let lines = e.lines.map { $0.map { "\($0.category)=\($0.amount)" }.joined(separator: ",") }
      text +=
        "INSERT INTO entry (id, kind, at, terminal, operator, accountId, card, points, amount, currency, receipt, "
        + "reference, origin, synced, lines, programVersion, tier, pendingDays, basis) VALUES (\(q(e.id)), "
        + "\(q(e.kind.rawValue)), "
        + "\(e.at.seconds), \(q(e.terminal)), 'ledger', \(q(e.account)), \(q(e.card)), \(e.points ?? 0), "
        + "\(e.amount.map(String.init) ?? "NULL"), \(q(e.currency)), \(q(e.receipt)), \(q(e.ref)), 'ledger', 1, "
        + "\(q(lines)), \(e.version.map(String.init) ?? "NULL"), \(q(e.tier)), "
        + "\(e.pendingDays.map(String.init) ?? "NULL"), \(e.basis.map(String.init) ?? "NULL"));\n"
      if text.utf8.count > 1 << 20 {
        try script.write(contentsOf: Data(text.utf8))
        text = ""
      }
    }
    try script.write(contentsOf: Data((text + "COMMIT;\n").utf8))
    try script.close()
    let outcome = try await Child.shell("sqlite3 -bail '\(baselinePath)' < '\(scriptPath)' > /dev/null")
    guard outcome.status == 0 else {
      throw ExternalClient.Failure(description: "sqlite3 failed: \(outcome.errors.prefix(300))")
    }
    return outcome.elapsed.nanoseconds
  }
}
