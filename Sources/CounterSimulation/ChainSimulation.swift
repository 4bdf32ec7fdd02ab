import Foundation
import LedgerFormat
import LedgerStore
import Logging
import NightlySync
import PointsCache
import ScenarioFormat
import SyncProtocol

/// Plays a chain's generated traffic and faults through the firmware (real caches, a real ledger
/// file, real nightly syncs) and checks `ChainInvariants` after every night. Every counter that
/// tries to sync must succeed: a failed sync is a stuck counter, and fails the run.
public struct ChainSimulation {
  public struct Failure: Error, CustomStringConvertible {
    public var seed: UInt64
    public var message: String
    public var description: String { "\(message) (replay with --seed \(seed))" }

    public init(seed: UInt64, message: String) {
      self.seed = seed
      self.message = message
    }
  }

  public struct Summary: Sendable {
    public var events: Int
    public var refused: Int
    /// Nights the chain synced (the final one included).
    public var syncs: Int
    public var checks: Int
    public var ledgerEntries: Int
    public var balances: Int
    /// Refusals at the counter, by reason (numbers and card ids left out).
    public var refusals: [String: Int] = [:]
    /// Faults injected, by kind.
    public var faults: [String: Int] = [:]
    /// Cards looked up at HQ, by outcome (taken, held already, unknown to HQ).
    public var lookUps: [String: Int] = [:]
    /// Refunds recorded: of the counter's own receipts, and of another counter's found through
    /// the customer's card.
    public var refunds: [String: Int] = [:]

    /// Nothing yet: what a swarm adds its chains' summaries to.
    public static let zero = Summary(events: 0, refused: 0, syncs: 0, checks: 0, ledgerEntries: 0, balances: 0)
  }

  public var traffic: ChainTraffic
  /// Before each of its syncs, a terminal whose cache is tampered with (the test's hook); its
  /// refused entries are then expected, nobody else's.
  public var tampering: (terminal: String, edit: (ScenarioRunner) throws -> Void)?
  /// How the counters reach HQ; nil: through HQ's ledger file.
  public var transport: (any ChainTransport)?

  public init(traffic: ChainTraffic, transport: (any ChainTransport)? = nil) {
    self.traffic = traffic
    self.transport = transport
  }

  /// Plays the chain in `workdir`; `narrate` gets a line per event (a replay's story).
  public func run(
    workdir: URL, logger: Logger, narrate: ((String) -> Void)? = nil, progress: @escaping (String) -> Void = { _ in }
  ) async throws -> Summary {
    let events = traffic.events()
    let runner = try await ScenarioRunner(scenario: traffic.scenario(), workdir: workdir, logger: logger)
    if let narrate { runner.narrate = narrate }
    var invariants = ChainInvariants(seed: traffic.seed)
    if let tampering { invariants.dishonest = [tampering.terminal] }
    var enrolledAt: [String: Set<String>] = [:]
    for case .counter(.enroll(let t, let card, _)) in events.map(\.action) { enrolledAt[card, default: []].insert(t) }
    invariants.contest(cards: enrolledAt.filter { $0.value.count > 1 }.keys)
    var summary = Summary(events: events.count, refused: 0, syncs: 0, checks: 0, ledgerEntries: 0, balances: 0)
    // A second card linked at one counter after another enrolled it the same day (`claimRace`).
    for case .link(let t, let card, _) in events.map(\.action) where !(enrolledAt[card] ?? []).subtracting([t]).isEmpty
    {
      summary.faults["card claimed twice", default: 0] += 1
    }
    var loseAnswer: Set<String> = []
    var tamperDelta: Set<String> = []
    func fail(_ message: String) -> Failure { Failure(seed: traffic.seed, message: message) }
    for event in events {
      runner.clock.set(event.at)
      for counter in runner.counters.values { await counter.firmware.handle(.tick) }
      do {
        switch event.action {
        case .counter(.sync(let terminals)):
          for t in terminals where loseAnswer.contains(t) { try runner.loseAnswer(t) }
          loseAnswer = []
          for t in terminals where tamperDelta.contains(t) { try await runner.refuseTamperedDelta(t) }
          tamperDelta = []
          try await night(runner, terminals, invariants: invariants, summary: &summary, progress: progress)
        case .counter(let action):
          if let reason = try await runner.play(action) {
            // A refusal says why in the rules' words; a storage error is the counter failing.
            if reason.contains("SQLite error") {
              throw fail("\(event.at): the counter failed on an honest action (\(action)): \(reason)")
            }
            summary.refused(reason)
          } else if case .refund(_, _, _, let card) = action {
            summary.refunds[card == nil ? "own receipts" : "another counter's, through the card", default: 0] += 1
          }
        case .link(let t, let card, let existing):
          do {
            // Both cards are in the cardholder's hands: the new one gives its key, the
            // account's existing one signs the link (emulated cards: `LoyaltyAppletCard`).
            _ = try runner.cache(t).link(
              card: card, to: existing, cardKey: EmulatedCardKeys.publicKey(of: card),
              sign: { try EmulatedCardKeys.sign($0, by: existing) }, context: runner.context(t))
          } catch { summary.refused("link: \(error)") }
        case .publishProgram(let days, let window):
          try runner.publishProgram(pendingDays: days, formatTwoWindow: window)
        case .lookUp(let t, let card):
          let outcome: LookUpOutcome
          do {
            outcome =
              if let transport { try await transport.lookUp(runner, t, card: card) } else {
                try await runner.lookUp(t, card: card)
              }
          } catch is LedgerRestored {
            // HQ restored its ledger below this counter's basis: it syncs first (tonight); the
            // card earns provisionally meanwhile.
            summary.lookUps["refused: sync first (HQ restored)", default: 0] += 1
            continue
          }
          summary.lookedUp(outcome)
          // What the counter took is consistent with its rows (indexes, HQ's state beneath).
          if case .taken = outcome,
            let problem = try runner.cache(t).consistencyProblems().first
              ?? LookedUpCheck.problems(in: runner.cache(t)).first
          {
            throw ChainInvariants.Violation(description: "\(t) after looking \(card) up: \(problem)")
          }
        case .fault(let fault):
          // Junk is not written behind a torn tail (that would be a damaged file): not counted then.
          var injected = true
          switch fault {
          case .junkBatch:
            injected = try runner.appendJunkBatch()
            if injected { invariants.junkBatches += 1 }
          case .tornTail: try runner.tearTail()
          case .lostAnswer(let t): loseAnswer.insert(t)
          case .tamperedDelta(let t): tamperDelta.insert(t)
          case .rotateKey(let t), .reregister(let t): try runner.register(t)
          case .revoke(let t): try runner.revoke(t)
          case .hqRestart: try await transport?.restartHQ(runner)
          case .backup: try runner.backUp()
          case .restore:
            await transport?.stop()
            try runner.restoreBackup()
            try await transport?.restartHQ(runner)
          }
          if injected { summary.faults[fault.kind, default: 0] += 1 }
        }
      } catch let violation as ChainInvariants.Violation {
        throw fail("\(event.at): \(violation)")
      } catch let failure as Failure {
        throw failure
      } catch {
        throw fail("\(event.at): \(describe(event.action)) failed: \(error)")
      }
    }
    // The final night: every counter syncs twice, so each has learnt what the ones after it sent.
    do {
      try await night(
        runner, runner.scenario.terminals, invariants: invariants, summary: &summary, progress: progress)
    } catch let violation as ChainInvariants.Violation {
      throw fail("final sync: \(violation)")
    } catch let failure as Failure {
      throw failure
    }
    let (byCard, _, entries) = try runner.ledgerBalancesByCard()
    summary.ledgerEntries = entries
    summary.balances = byCard.count
    return summary
  }

  /// A night: the counters sync in turn, then all but the last again (so each has learnt what the
  /// later ones sent); then the invariants. A counter whose sync fails is stuck: a failure.
  func night(
    _ runner: ScenarioRunner, _ terminals: [String], invariants: ChainInvariants, summary: inout Summary,
    progress: (String) -> Void
  ) async throws {
    for round in [terminals, Array(terminals.dropLast())] {
      for t in round {
        if let tampering, tampering.terminal == t { try tampering.edit(runner) }
        do {
          if let transport { try await transport.sync(runner, t) } else { try await runner.syncOne(t) }
        } catch {
          throw Failure(seed: traffic.seed, message: "\(runner.clock.now): \(t)'s sync failed: \(error)")
        }
      }
    }
    summary.syncs += 1
    summary.checks += try invariants.check(runner, synced: terminals)
    progress("\(runner.clock.now): \(terminals.count) terminals synced, invariants hold")
  }

  func describe(_ action: ChainEvent.Action) -> String {
    switch action {
    case .counter(let a): "\(a)"
    case .link(let t, let card, let to): "\(t): link \(card) to \(to)"
    case .publishProgram(let days, _): "HQ publishing a program with pendingDays \(days)"
    case .lookUp(let t, let card): "\(t): look \(card) up at HQ"
    case .fault(let f): "\(f)"
    }
  }
}

extension ChainSimulation.Summary {
  /// Counts a look-up under its outcome.
  mutating func lookedUp(_ outcome: LookUpOutcome) {
    let name =
      switch outcome {
      case .taken: "taken"
      case .held: "held already"
      case .unknown: "unknown to HQ"
      }
    lookUps[name, default: 0] += 1
  }

  /// Counts a refusal at the counter under its reason, numbers and card ids left out.
  mutating func refused(_ reason: String) {
    refused += 1
    let general = reason.split(separator: " ").map { word -> String in
      word.contains(where: \.isNumber) ? "…" : String(word)
    }
    refusals[general.joined(separator: " "), default: 0] += 1
  }
}
