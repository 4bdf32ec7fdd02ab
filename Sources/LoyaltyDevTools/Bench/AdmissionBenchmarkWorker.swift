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

/// `loyalty-devtools bench-admission-worker` (hidden): HQ's admission throughput, the same
/// batches through the file path and through HQ's service.
///
/// - `setup`: a chain of `--terminals` terminals and 20 000 enrolled cardholders; each terminal's
///   `--batches` batches of 1 000 earns on its own cardholders, decided on that ledger (so any
///   order of admission passes the audit), saved; two copies of the ledger.
/// - `file`: each batch submitted as `sync --ledger` does (lock, audit the whole file, admit).
/// - `service`: every terminal at once through HQ's service at `--url`, its batches in turn.
struct AdmissionBenchmarkWorker: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench-admission-worker", shouldDisplay: false)

  @Option var directory: String
  @Option var phase: String
  @Option var terminals: Int = 10
  @Option var batches: Int = 3
  @Option var url: String?

  static let cardholders = 20_000
  var dir: URL { URL(fileURLWithPath: directory).appendingPathComponent("admission") }
  var batchesPath: String { dir.appendingPathComponent("batches.json").path }
  func ledgerCopy(_ name: String) -> String { dir.appendingPathComponent("ledger-\(name).jsonl").path }
  var names: [String] { (0..<terminals).map { "A\($0)" } }

  struct Batch: Codable {
    var terminal: String
    var at: Int64
    var lines: [String]
  }

  func run() async throws {
    var out: [String: Any] = [:]
    let clock = ContinuousClock()
    switch phase {
    case "setup":
      try setup()
    case "file":
      let all = try load()
      let ledger = LocalLedgerConnection(ledger: LedgerFile(path: ledgerCopy("file")))
      let began = clock.now
      var appended = 0
      for batch in all {
        let key = try LedgerKey.load(from: dir.appendingPathComponent("\(batch.terminal).key").path)
        let exchange = try ledger.exchangeNow(
          try entries(batch), at: UTCInstant(seconds: batch.at), after: .init(), terminal: batch.terminal, key: key,
          now: nil)
        appended += exchange.answer?.appended.count ?? 0
      }
      out["ns"] = (clock.now - began).nanoseconds
      out["appended"] = appended
    case "service":
      let all = try load()
      let began = clock.now
      let appended = try await withThrowingTaskGroup(of: Int.self) { group in
        for name in names {
          let mine = all.filter { $0.terminal == name }
          let key = try LedgerKey.load(from: dir.appendingPathComponent("\(name).key").path)
          group.addTask {
            let connection = try HQConnection(
              baseURL: url ?? "", logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() },
              clock: { .wallClock })
            var count = 0
            for batch in mine {
              let exchange = try await connection.exchange(
                try entries(batch), at: UTCInstant(seconds: batch.at), after: .init(), terminal: name, key: key,
                now: nil)
              count += exchange.answer?.appended.count ?? 0
            }
            await connection.close()
            return count
          }
        }
        return try await group.reduce(0, +)
      }
      out["ns"] = (clock.now - began).nanoseconds
      out["appended"] = appended
    default:
      throw ValidationError("--phase must be setup, file or service")
    }
    out["peakKiB"] = peakResidentKiB()
    emit(JSONLine.encode(out))
  }

  func entries(_ batch: Batch) throws -> [Entry] {
    try batch.lines.enumerated().map {
      try LedgerLine.parseEntry(ArraySlice($0.element.utf8), line: $0.offset + 1).entry
    }
  }

  func load() throws -> [Batch] {
    try JSONDecoder().decode([Batch].self, from: Data(contentsOf: URL(fileURLWithPath: batchesPath)))
  }

  func setup() throws {
    let program = try RepositoryFile.exampleProgram()
    let chain = try ChainSetup(in: dir, terminals: names, program: program, at: LedgerBenchmarkWorker.start)
    var world = try HonestTraffic(chain: chain, program: program)
    try world.append(Self.cardholders, terminals: names)
    let parsed = try ProgramParser.parse(Data(program.utf8))
    let basis = world.audited.state.lastSeq
    let accounts = world.audited.fold.accounts
    var all: [Batch] = []
    // Round by round, each terminal's next batch: the order a night of syncs would have.
    var pending: [String: AccountState] = [:]
    var time = world.now
    for b in 0..<batches {
      for (t, name) in names.enumerated() {
        var lines: [String] = []
        for i in 0..<1_000 {
          time = time.adding(seconds: 1)
          let n = (b * 1_000 + i) * terminals + t
          let a = n % Self.cardholders
          let card = ChainTraffic.loyaltyNumber(a)
          let id = Identities.accountID(enrolledWith: card)
          let account = pending[id] ?? accounts[id] ?? AccountState(id: id)
          let c = OperationContext(terminal: name, operator: "bench", at: time, basis: basis)
          let decision = try Decisions.earn(
            card: CardFacts(card: card, account: id, blocked: false), cardID: card, account: account,
            lines: [PurchaseLine(category: "fresh", amount: Int64(500 + n % 9_000))], receipt: "\(name)/\(n)",
            receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [], program: parsed, context: c)
          var after = account
          for e in decision.entries {
            try after.apply(e, rules: StateRules(parsed))
            lines.append(LedgerLine.encode(LedgerEntry(e, seq: Int64(lines.count + 1))))
          }
          pending[id] = after
        }
        all.append(Batch(terminal: name, at: time.adding(seconds: 1).seconds, lines: lines))
      }
    }
    try JSONEncoder().encode(all).write(to: URL(fileURLWithPath: batchesPath))
    for copy in ["file", "service"] {
      try? FileManager.default.removeItem(atPath: ledgerCopy(copy))
      try FileManager.default.copyItem(atPath: chain.ledger.path, toPath: ledgerCopy(copy))
    }
  }
}
