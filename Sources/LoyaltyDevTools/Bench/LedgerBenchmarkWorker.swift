import ArgumentParser
import CounterSimulation
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import NightlySync
import PointsCache
import SyncProtocol

/// `loyalty-devtools bench-ledger-worker` (hidden): one phase of the ledger benchmark for one
/// history size, in a process of its own (so each peak RSS is its own).
///
/// - `generate`: an honest loyalty-ledger/2 history of N entries from 10 terminals (sealed
///   batches of 1 000): 100 000 enrolments, then earns decided by the core's decisions on the
///   accounts as they stand, each with its basis — what the audit must accept, all of it.
/// - `verify`: the plain verification (chain, seals, keys) of that file.
/// - `audit`: verification plus the audit replay and fold (what every reader runs); then HQ
///   answering 10 000 look-ups on that fold (the audit's view on a terminal's basis, signed),
///   beside the same number of the accounts' current states encoded and signed.
/// - `sync`: a terminal up to date with the history syncs 10 000 new entries.
struct LedgerBenchmarkWorker: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench-ledger-worker", shouldDisplay: false)

  @Option var directory: String
  @Option var entries: Int
  @Option var phase: String
  @Option var newEntries: Int = 10_000
  @Flag var exportHledger = false

  static let start = UTCInstant(parsing: "2026-01-01T00:00:00Z")!
  static let accounts = 100_000

  var dir: URL { URL(fileURLWithPath: directory).appendingPathComponent("ledger-\(entries)") }
  var ledgerPath: String { dir.appendingPathComponent("ledger.jsonl").path }

  func run() async throws {
    let clock = ContinuousClock()
    let began = clock.now
    var out: [String: Any] = ["entries": entries]
    switch phase {
    case "generate":
      let program = try RepositoryFile.exampleProgram()
      // G0…G9 record; G10, the terminal whose sync is timed, only learns (it needs no registration,
      // and a registered terminal that never records would hold the audit's horizon back).
      let chain = try ChainSetup(in: dir, terminals: (0..<10).map { "G\($0)" }, program: program, at: Self.start)
      var world = try HonestTraffic(chain: chain, program: program)
      try world.append(entries, terminals: (0..<10).map { "G\($0)" })
      out["fileBytes"] = (try? FileManager.default.attributesOfItem(atPath: ledgerPath)[.size] as? Int) ?? 0
    case "verify":
      let summary = try LedgerVerifier().verify(path: ledgerPath)
      out["ns"] = (clock.now - began).nanoseconds
      out["lines"] = summary.entries + summary.seals
    case "audit":
      let (fold, summary) = try LedgerFold.fold(path: ledgerPath)
      out["ns"] = (clock.now - began).nanoseconds
      out["lines"] = summary.entries + summary.seals
      out["accounts"] = fold.accounts.count
      out["refused"] = fold.audit.refusals.count + fold.exclusions.count
      if let first = fold.audit.refusals.first { out["firstRefusal"] = "\(first.id): \(first.reason)" }
      var end = LedgerVerifier.State()
      end.lastSeq = summary.lastSeq
      (out["lookUps"], out["lookUpNs"], out["lookUpBaselineNs"]) = try lookUps(fold, end)
      if exportHledger {
        let journal = dir.appendingPathComponent("points.journal").path
        try LedgerExport.export(path: ledgerPath, format: .hledger).write(
          toFile: journal, atomically: true, encoding: .utf8)
        try LedgerExport.export(path: ledgerPath, format: .beancount).write(
          toFile: dir.appendingPathComponent("points.beancount").path, atomically: true, encoding: .utf8)
        out["journal"] = journal
      }
    default:
      try await sync(into: &out)
    }
    out["peakKiB"] = peakResidentKiB()
    emit(JSONLine.encode(out))
  }

  /// Up to 10 000 look-ups of the fold's cards by G10 (a terminal that never recorded) on the ledger's
  /// end, each answered and signed as HQ's service does; and the baseline: the same accounts'
  /// current states, encoded into an answer and signed. How many, and the nanoseconds of each.
  func lookUps(_ fold: LedgerFold, _ end: LedgerVerifier.State) throws -> (Int, Int64, Int64) {
    let key = LedgerKey(privateKey: .init())
    let cards = fold.accounts.values.compactMap(\.cards.first).sorted().prefix(10_000)
    let clock = ContinuousClock()
    var began = clock.now
    var found = 0
    for card in cards {
      var answer = try fold.lookUp(card: card, basis: end.lastSeq, terminal: "G10", at: end)
      answer.sign(with: key, at: 0)
      if answer.account != nil { found += 1 }
    }
    let lookUpNs = (clock.now - began).nanoseconds
    guard found == cards.count else {
      throw ValidationError("HQ answered \(found) of \(cards.count) look-ups of enrolled cards")
    }
    began = clock.now
    for card in cards {
      let state = fold.accounts[Identities.accountID(enrolledWith: card)]
      var answer = AccountLookup(terminal: "G10", card: card, basis: end.lastSeq, headSeq: end.lastSeq, state: state)
      answer.sign(with: key, at: 0)
    }
    return (cards.count, lookUpNs, (clock.now - began).nanoseconds)
  }

  /// G10, up to date with the history (bootstrapped from HQ's snapshot of it), syncs the
  /// 10 000 honest entries G0 appends after it.
  func sync(into out: inout [String: Any]) async throws {
    let program = try RepositoryFile.exampleProgram()
    let hq = try LedgerKey.load(from: dir.appendingPathComponent("hq.key").path)
    let g10 = try LedgerKey.generate(at: dir.appendingPathComponent("G10-\(getpid()).key").path)
    let ledger = LedgerFile(path: ledgerPath)
    let cache = try PointsCache(path: dir.appendingPathComponent("g10-\(getpid()).db").path)
    let sync = NightlySync(cache: cache, connection: LocalLedgerConnection(ledger: ledger), terminal: "G10", key: g10)
    try await sync.bootstrap(
      from: try LedgerSnapshot.make(path: ledgerPath, hqKey: hq), at: Self.start.adding(days: 300))
    var world = try HonestTraffic(resuming: ledger, directory: dir, program: program)
    try world.append(newEntries, terminals: ["G0"])
    let clock = ContinuousClock()
    let began = clock.now
    let result = try await sync.run(at: world.now.adding(seconds: 60))
    out["ns"] = (clock.now - began).nanoseconds
    guard result.received == newEntries else {
      throw ExternalClient.Failure(description: "sync received \(result.received), expected \(newEntries)")
    }
  }
}

/// Honest traffic written straight to a ledger (the benchmark's setup): every entry decided by
/// the core's decisions on the account as the ledger holds it, with the basis it was decided
/// on, and checked by the audit as it goes (a refusal stops the setup).
struct HonestTraffic {
  let ledger: LedgerFile
  let keys: [String: LedgerKey]
  let program: LoyaltyProgram
  var audited: AuditedLedger
  var now: UTCInstant
  var next = 0

  init(chain: ChainSetup, program json: String) throws {
    ledger = chain.ledger
    keys = chain.keys
    program = try ProgramParser.parse(Data(json.utf8))
    audited = try ledger.withExclusiveLock { try $0.audited(repairing: false) }
    now = chain.start.adding(seconds: 60)
  }

  init(resuming ledger: LedgerFile, directory: URL, program json: String) throws {
    self.ledger = ledger
    keys = ["G0": try LedgerKey.load(from: directory.appendingPathComponent("G0.key").path)]
    program = try ProgramParser.parse(Data(json.utf8))
    audited = try ledger.withExclusiveLock { try $0.audited(repairing: false) }
    next = audited.fold.audit.accepted
    now = audited.fold.audit.accounts.values.compactMap(\.lastActivity).max() ?? LedgerBenchmarkWorker.start
    now = now.adding(seconds: 60)
  }

  /// Appends `count` entries in sealed batches of 1 000, the terminals taking turns: the first
  /// 100 000 entries of a history enrol its cardholders, the rest are purchases.
  mutating func append(_ count: Int, terminals: [String]) throws {
    var written = 0
    var batchIndex = 0
    try ledger.withExclusiveLock { locked in
      while written < count {
        let t = terminals[batchIndex % terminals.count]
        batchIndex += 1
        var batch: [Entry] = []
        let basis = audited.state.lastSeq
        while batch.count < 1000 && written + batch.count < count {
          now = now.adding(seconds: 1)
          let c = OperationContext(terminal: t, operator: "bench", at: now, basis: basis)
          let n = next
          next += 1
          if n < LedgerBenchmarkWorker.accounts {
            batch.append(
              try Decisions.enroll(card: ChainTraffic.loyaltyNumber(n), known: nil, referrer: nil, context: c))
          } else {
            let a = n % LedgerBenchmarkWorker.accounts
            let card = ChainTraffic.loyaltyNumber(a)
            let id = Identities.accountID(enrolledWith: card)
            // The batch's earlier entries count too: apply as the terminal's cache would.
            let account = pending[id] ?? audited.fold.audit.accounts[id] ?? AccountState(id: id)
            let decision = try Decisions.earn(
              card: CardFacts(card: card, account: id, blocked: false), cardID: card, account: account,
              lines: [PurchaseLine(category: n % 3 == 0 ? "fuel" : "fresh", amount: Int64(500 + n % 9_000))],
              receipt: "\(t)/\(n)", receiptTaken: false, lastTap: nil, earnsInTrailingHour: 0, recordedBonuses: [],
              program: program, context: c)
            var after = account
            for e in decision.entries { try after.apply(e, rules: StateRules(program)) }
            pending[id] = after
            batch += decision.entries
          }
        }
        pending = [:]
        let admission = try locked.admit(batch, to: &audited, signer: t, key: keys[t]!, at: now)
        if let refused = admission.refused.first {
          throw ExternalClient.Failure(description: "the audit refused \(refused.entry.id): \(refused.reason)")
        }
        written += batch.count
      }
    }
  }

  var pending: [String: AccountState] = [:]
}
