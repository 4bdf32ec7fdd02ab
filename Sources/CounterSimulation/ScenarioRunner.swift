import CounterFirmware
import CounterRuntime
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import Logging
import LoyaltyCore
import NightlySync
import PointsCache
import ScenarioFormat

/// What a played scenario ends with, after a final sync of every terminal.
public struct ScenarioOutcome: Sendable {
  public struct Refusal: Sendable, Hashable {
    public var index: Int
    public var reason: String
  }
  /// Points by each account's first card, as the ledger folds them.
  public var balances: [String: Int64]
  /// Tier by each account's first card, as the first terminal shows it at the end.
  public var tiers: [String: String]
  public var refused: [Refusal]
  /// Overdrawn accounts, entries held with other content, and any terminal disagreeing with the ledger.
  public var conflicts: [String]
  /// Entries in the ledger (seals not counted).
  public var ledgerEntries: Int
}

/// Plays a scenario through the real firmware: one simulated counter (real cache on disk) per
/// terminal, a real ledger file with HQ's and every terminal's keys, real nightly syncs.
public final class ScenarioRunner {
  public let scenario: Scenario
  public let workdir: URL
  let logger: Logger
  /// The simulation's time: every counter's clock, and HQ's when it serves the chain.
  public let clock: ManualCounterClock
  let hqKey: LedgerKey
  let ledger: LedgerFile
  var keys: [String: LedgerKey] = [:]
  /// The latest backup HQ took (the `backup` fault), which a `restore` fault puts back.
  var latestBackup: String?
  var counters: [String: SimulatedCounter] = [:]
  var conflicts: [String] = []
  /// Called before each terminal's sync (a test tampers with a cache here).
  public var beforeSync: (ScenarioRunner, String) throws -> Void = { _, _ in }
  /// One line per event, for narration.
  public var narrate: (String) -> Void = { _ in }
  /// Called before each event is played, with its index.
  public var beforeEvent: (Int, Scenario.Event) -> Void = { _, _ in }
  /// The counter's display when an operation ends (receipt or refusal), with the terminal.
  public var onScreen: (String, Screen) -> Void = { _, _ in }

  public init(scenario: Scenario, workdir: URL, logger: Logger) async throws {
    self.scenario = scenario
    self.workdir = workdir
    self.logger = logger
    let start = scenario.events.first?.at ?? UTCInstant(seconds: 0)
    clock = ManualCounterClock(start)
    let chain = try ChainSetup(
      in: workdir, terminals: scenario.terminals, program: scenario.program, programID: "program-\(start.seconds)",
      at: start)
    hqKey = chain.hq
    ledger = chain.ledger
    keys = chain.keys
    // Each counter joins the chain with a first sync: it takes the program from HQ's ledger.
    for t in scenario.terminals {
      let cache = try PointsCache(path: cachePath(t))
      _ = try await NightlySync(
        cache: cache, connection: LocalLedgerConnection(ledger: chain.ledger), terminal: t, key: chain.keys[t]!
      ).run(at: start)
      counters[t] = try SimulatedCounter(terminal: t, cache: cache, clock: clock, logger: logger)
    }
  }

  /// The time on the chain's clock.
  public var now: UTCInstant { clock.now }
  /// HQ's ledger file and key, for a transport that serves them.
  public var ledgerFile: LedgerFile { ledger }
  public var hqSigningKey: LedgerKey { hqKey }
  /// The key `terminal` syncs with now (it changes with a rotation).
  public func key(_ terminal: String) -> LedgerKey { keys[terminal]! }

  func cachePath(_ terminal: String) -> String { workdir.appendingPathComponent("\(terminal).db").path }
  public var ledgerPath: String { ledger.path }
  public func cache(_ terminal: String) -> PointsCache { counters[terminal]!.cache }
  public func counter(_ terminal: String) -> SimulatedCounter { counters[terminal]! }

  /// Plays every event, then syncs every terminal and reports.
  public func run() async throws -> ScenarioOutcome {
    var refused: [ScenarioOutcome.Refusal] = []
    for (index, event) in scenario.events.enumerated() {
      beforeEvent(index, event)
      clock.set(event.at)
      for counter in counters.values { await counter.firmware.handle(.tick) }
      if let reason = try await play(event.action) {
        refused.append(.init(index: index, reason: reason))
        narrate("  refused: \(reason)")
      }
    }
    try await finalSync()
    return try outcome(refused: refused)
  }

  /// Syncs `terminals` in turn with the ledger.
  public func sync(_ terminals: [String]) async throws {
    for t in terminals { try await syncOne(t) }
  }

  /// One terminal's sync with the ledger, now.
  @discardableResult
  func syncOne(_ t: String) async throws -> SyncSummary {
    try beforeSync(self, t)
    let summary = try await NightlySync(
      cache: cache(t), connection: LocalLedgerConnection(ledger: ledger), terminal: t, key: keys[t]!
    ).run(at: clock.now)
    narrate("  \(t) synced: sent \(summary.sent), received \(summary.received), conflicts \(summary.conflicts.count)")
    for c in summary.conflicts where !conflicts.contains(c) { conflicts.append(c) }
    return summary
  }

  /// `t` looks `card` up in HQ's file (the embedded path), now.
  public func lookUp(_ t: String, card: String) async throws -> LookUpOutcome {
    try await CardLookUp(cache: cache(t), connection: LocalLedgerConnection(ledger: ledger), terminal: t, key: keys[t]!)
      .run(card: card, at: clock.now)
  }

  /// Who records at `terminal` now, for the commands a counter's CLI runs (a link).
  func context(_ terminal: String) -> OperationContext {
    OperationContext(terminal: terminal, operator: "sim", at: clock.now)
  }

  /// Every terminal syncs, then every terminal but the last syncs again, so each has learnt
  /// what the ones after it sent: afterwards all agree with the ledger.
  public func finalSync() async throws {
    try await sync(scenario.terminals)
    try await sync(Array(scenario.terminals.dropLast()))
  }

  /// A terminal crashes: its firmware and open database go; it restarts on the file on disk.
  func crash(_ terminal: String) throws {
    counters[terminal] = nil
    let cache = try PointsCache(path: cachePath(terminal))
    counters[terminal] = try SimulatedCounter(terminal: terminal, cache: cache, clock: clock, logger: logger)
  }

  /// HQ's expiry run at the current time.
  func expire() throws {
    let (fold, _) = try LedgerFold.fold(path: ledger.path, sealedOnly: true)
    let entries = LedgerExpiry.entries(for: fold, asOf: clock.now)
    try ledger.append(entries, signer: Entry.hq, key: hqKey, at: clock.now)
    narrate("  HQ expired \(entries.reduce(0) { $0 - ($1.points ?? 0) }) points in \(entries.count) accounts")
    // An expiry takes the lots that expired: run again at the same time, it finds none. (It took
    // the oldest lots instead, after a version shortened expiryDays, and expired the same lot at
    // every run.)
    let (after, _) = try LedgerFold.fold(path: ledger.path, sealedOnly: true)
    if let again = LedgerExpiry.entries(for: after, asOf: clock.now).first {
      throw ChainInvariants.Violation(
        description:
          "HQ's expiry run at \(clock.now) left \(-(again.points ?? 0)) points of \(again.account ?? "?") still expired: "
          + "an expiry took points that were not due")
    }
  }

  /// The ledger's balances keyed by each account's first card, and what every terminal shows.
  public func ledgerBalancesByCard() throws -> (byCard: [String: Int64], byAccount: [String: Int64], entries: Int) {
    var firstCard: [String: String] = [:]
    var fold = LedgerFold()
    let state = try LedgerVerifier.readVerified(
      path: ledger.path,
      each: { line in
        for e in fold.take(line) {
          if let account = e.account, let card = e.card, e.kind == .enroll || e.kind == .link,
            firstCard[account] == nil
          {
            firstCard[account] = card
          }
        }
      }, excluded: { fold.exclude($0) })
    var byCard: [String: Int64] = [:]
    var byAccount: [String: Int64] = [:]
    for (id, account) in fold.accounts {
      byAccount[id] = account.balance
      byCard[firstCard[id] ?? id] = account.balance
    }
    return (byCard, byAccount, state.entries)
  }

  func outcome(refused: [ScenarioOutcome.Refusal]) throws -> ScenarioOutcome {
    let (byCard, byAccount, entries) = try ledgerBalancesByCard()
    var conflicts = self.conflicts
    // A terminal in a region holds its members only; another account shows nothing there.
    let (fold, _) = try LedgerFold.fold(path: ledger.path, sealedOnly: true)
    let regions = fold.program?.regions
    for t in scenario.terminals {
      let region = regions?.region(of: t)
      for (account, balance) in try cache(t).balances() where byAccount[account] != balance {
        if let region, fold.regionDay(account, region: region) == nil, balance == 0 { continue }
        conflicts.append("\(t) shows \(balance) points for \(account); the ledger says \(byAccount[account] ?? 0)")
      }
    }
    var tiers: [String: String] = [:]
    // The tiers as a terminal that holds every account shows them (the first in no region).
    if let first = scenario.terminals.first(where: { regions?.region(of: $0) == nil }) ?? scenario.terminals.first {
      for card in byCard.keys {
        tiers[card] = (try? cache(first).identify(card: card, at: clock.now).tier) ?? "?"
      }
    }
    return ScenarioOutcome(
      balances: byCard, tiers: tiers, refused: refused, conflicts: conflicts, ledgerEntries: entries)
  }
}
