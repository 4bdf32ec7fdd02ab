import Foundation
import Ledger
import LoyaltyCore
import PointsCache

/// What a sync did.
public struct SyncSummary: Sendable {
  /// Entries this terminal appended to the ledger.
  public var sent: Int
  /// Entries learnt from other writers and applied to the cache.
  public var received: Int
  /// Bytes of an incomplete append (a crash) cut from the ledger's tail before appending.
  public var repairedBytes: Int
  /// Overdrawn accounts and entries whose id the ledger holds with other content.
  public var conflicts: [String]
}

/// The nightly sync of one terminal with the central ledger.
///
/// Under the ledger's exclusive lock: cut a torn tail (never a sealed entry), verify what was
/// appended since this terminal's checkpoint, append its outbox entries the ledger does not hold
/// yet with a seal, fsync, unlock; then, in one SQLite transaction, apply what it learnt, mark the
/// sent entries synced and move the checkpoint. Killed at any instant and run again, it converges.
public struct NightlySync {
  public let cache: PointsCache
  public let ledger: LedgerFile
  public let terminal: String
  public let key: LedgerKey

  public init(cache: PointsCache, ledger: LedgerFile, terminal: String, key: LedgerKey) {
    self.cache = cache
    self.ledger = ledger
    self.terminal = terminal
    self.key = key
  }

  /// Starts a fresh cache from an HQ snapshot (checked against the ledger), so the first sync
  /// reads only the tail after it.
  public func bootstrap(from snapshot: LedgerSnapshot, at time: UTCInstant) throws {
    try snapshot.check(against: ledger.path)
    let checkpoint = String(decoding: try JSONEncoder().encode(snapshot.ledger), as: UTF8.self)
    try cache.importSnapshot(
      program: snapshot.program, accounts: try snapshot.accountStates(), checkpoint: checkpoint,
      position: Int64(snapshot.ledger.offset), head: snapshot.ledger.head, at: time)
  }

  public func run(at time: UTCInstant, progress: (String) -> Void = { _ in }) throws -> SyncSummary {
    if let owner = try cache.owner(), owner != terminal {
      throw RuleError(.wrongTerminal, "this cache belongs to terminal \(owner), not \(terminal); nothing synced")
    }
    var state = LedgerVerifier.State()
    if let json = try cache.syncCheckpoint() {
      state = try JSONDecoder().decode(LedgerVerifier.State.self, from: Data(json.utf8))
    }
    let outbox = try cache.outbox()
    progress("read checkpoint at line \(state.lines); \(outbox.count) entries in the outbox")

    let (learnt, sent, repaired, conflicts, finalState) = try ledger.withExclusiveLock { locked in
      var tail = LedgerVerifier.Tail.clean
      try locked.checkExtends(state)
      let bytes = try locked.read(from: state.offset)
      progress("verifying \(bytes.count) new bytes")
      var newEntries = try LedgerVerifier().advance(&state, over: bytes[...], tail: &tail)
      var repaired = 0
      if case .torn(let count, let line, let reason) = tail {
        progress("repairing the ledger's tail from line \(line): \(reason)")
        try locked.truncate(to: state.offset)
        repaired = count
      }
      let known = Dictionary(newEntries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
      var conflicts: [String] = []
      var toSend: [Entry] = []
      for entry in outbox {
        if let existing = known[entry.id] {
          if !Self.sameEvent(existing, entry) {
            conflicts.append("entry \(entry.id) is in the ledger with other content; kept the ledger's")
          }
          continue
        }
        toSend.append(entry)
      }
      if !toSend.isEmpty {
        progress("appending \(toSend.count) entries and a seal")
        newEntries += try locked.append(toSend.map { LedgerEntry($0) }, after: &state, signer: terminal, key: key, at: time)
      }
      return (newEntries, toSend, repaired, conflicts, state)
    }

    let own = Set(outbox.map(\.id))
    let learntEntries = learnt.filter { $0.kind != .seal && !own.contains($0.id) }.map(\.entry)
    let checkpoint = String(decoding: try JSONEncoder().encode(finalState), as: UTF8.self)
    let application = try cache.applySync(
      learnt: learntEntries, synced: own, checkpoint: checkpoint, position: Int64(finalState.offset),
      head: finalState.head, at: time)
    progress("applied \(application.applied) entries; checkpoint at line \(finalState.lines)")
    let overdrawn = application.overdrawn.sorted { $0.key < $1.key }.map {
      "account \($0.key) is overdrawn: balance \($0.value)"
    }
    return SyncSummary(
      sent: sent.count, received: application.applied, repairedBytes: repaired,
      conflicts: conflicts + overdrawn + application.refused)
  }

  /// The same event, whoever wrote it (a referral bonus two terminals both awarded).
  static func sameEvent(_ a: LedgerEntry, _ b: Entry) -> Bool {
    a.kind == b.kind && a.account == b.account && a.points == b.points && a.amount == b.amount && a.receipt == b.receipt
  }
}
