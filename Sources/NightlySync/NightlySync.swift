import Foundation
import Ledger
import LoyaltyCore
import PointsCache

/// What a sync did.
public struct SyncSummary: Sendable {
  /// Entries this terminal appended to the ledger (read back from it).
  public var sent: Int
  /// Entries learnt from other writers and applied to the cache.
  public var received: Int
  /// Bytes of an incomplete append (a crash) cut from the ledger's tail before appending.
  public var repairedBytes: Int
  /// Overdrawn accounts, and entries learnt that the cache's reducer refused.
  public var conflicts: [String]
  /// This terminal's entries HQ's admission refused, each with its reason: kept in the cache as
  /// "refused by HQ", out of the outbox.
  public var refusedByHQ: [String]
  /// Entries and batches of the ledger the audit leaves out (written past the admission).
  public var excluded: [String]
  /// What the operator should know (this terminal not registered yet, so it learns but cannot record).
  public var notices: [String] = []
}

/// The nightly sync of one terminal with the central ledger.
///
/// Under the ledger's exclusive lock: check the ledger extends this terminal's checkpoint, cut a
/// torn tail (never a sealed entry), verify and audit the whole file, submit the outbox entries
/// the ledger does not hold yet to the admission step (which appends what it admits with a seal,
/// fsyncs and reads it back), unlock; then, in one SQLite transaction, apply what the audit
/// accepted from others, mark synced what was read back, keep the refused ones with their reason
/// and move the checkpoint. Killed at any instant and run again, it converges.
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
  /// applies only the tail after it.
  public func bootstrap(from snapshot: LedgerSnapshot, at time: UTCInstant) throws {
    try snapshot.check(against: ledger.path)
    let checkpoint = String(decoding: try JSONEncoder().encode(snapshot.ledger), as: UTF8.self)
    try cache.importSnapshot(
      program: snapshot.program, accounts: try snapshot.accountStates(), checkpoint: checkpoint,
      position: Int64(snapshot.ledger.offset), lastSeq: snapshot.ledger.lastSeq, head: snapshot.ledger.head, at: time)
  }

  /// Syncs at `time`; `now`, when given, is the machine's clock, which the sync's time may not be
  /// more than a day ahead of (a wrong clock or `--at` appends nothing).
  public func run(at time: UTCInstant, now: UTCInstant? = nil, progress: (String) -> Void = { _ in }) throws
    -> SyncSummary
  {
    if let owner = try cache.owner(), owner != terminal {
      throw RuleError(.wrongTerminal, "this cache belongs to terminal \(owner), not \(terminal); nothing synced")
    }
    try cache.bind(to: terminal)  // a cache that joined a chain as T01 records as T01 only
    var state = LedgerVerifier.State()
    if let json = try cache.syncCheckpoint() {
      state = try JSONDecoder().decode(LedgerVerifier.State.self, from: Data(json.utf8))
    }
    let since = state.lastSeq
    let linesBefore = state.lines
    let outbox = try cache.outbox()
    progress("read checkpoint at line \(state.lines); \(outbox.count) entries in the outbox")

    let (audited, admission, readBack) = try ledger.withExclusiveLock { locked in
      try locked.checkExtends(state)
      progress("verifying and auditing the ledger")
      var audited = try locked.audited(since: since, repairing: true)
      if audited.repairedBytes > 0 { progress("cut \(audited.repairedBytes) bytes of a torn append from the tail") }
      // Outbox entries the ledger already holds were appended by an earlier sync that did not
      // get to record it: read back now, not sent again.
      // A once-only event (an enrolment, a referral bonus) another counter recorded first is the
      // same event: held, not sent twice. Other content under its id is refused, with the reason.
      let inLedger = Dictionary(audited.learnt.map { ($0.id, $0.entry) }, uniquingKeysWith: { a, _ in a })
      var readBack: Set<String> = []
      var toSend: [Entry] = []
      var refused: [(entry: Entry, reason: String)] = []
      for entry in outbox {
        if let held = inLedger[entry.id] {
          if held == entry || (held.terminal != terminal && Self.sameEvent(held, entry)) {
            readBack.insert(entry.id)
          } else {
            refused.append((entry, "the ledger holds \(entry.id) from \(held.terminal) with other content"))
          }
        } else if audited.fold.audit.contains(id: entry.id) {
          readBack.insert(entry.id)  // held since before this terminal's checkpoint
        } else {
          toSend.append(entry)
        }
      }
      var admission = Admission(appended: [], refused: refused)
      if !toSend.isEmpty {
        progress("submitting \(toSend.count) entries to admission")
        let result = try locked.admit(toSend, to: &audited, signer: terminal, key: key, at: time, now: now)
        admission.appended = result.appended
        admission.refused += result.refused
        readBack.formUnion(result.appended.map { $0.id })
      }
      return (audited, admission, readBack)
    }

    // A terminal HQ registered with another key: the key file is the wrong one (nothing synced,
    // so the counter keeps recording on its last good checkpoint).
    if let registered = audited.state.terminals[terminal], registered != key.publicKeyBase64 {
      throw LedgerError(
        line: 0,
        "the key given is not the one HQ registered for \(terminal) (registered: \(registered.prefix(12))…, given: "
          + "\(key.publicKeyBase64.prefix(12))…); nothing synced")
    }
    let own = Set(outbox.map(\.id))
    let learntEntries = audited.learnt.filter { !own.contains($0.id) }.map(\.entry)
    let finalState = audited.state
    let checkpoint = String(decoding: try JSONEncoder().encode(finalState), as: UTF8.self)
    let application = try cache.applySync(
      learnt: learntEntries, synced: readBack, refusedByHQ: admission.refused.map { ($0.entry.id, $0.reason) },
      checkpoint: checkpoint, position: Int64(finalState.offset), lastSeq: finalState.lastSeq,
      registered: finalState.terminals[terminal] == key.publicKeyBase64, head: finalState.head, at: time)
    progress("applied \(application.applied) entries; checkpoint at line \(finalState.lines)")
    let overdrawn = application.overdrawn.sorted { $0.key < $1.key }.map {
      "account \($0.key) is overdrawn: balance \($0.value)"
    }
    let excluded = audited.fold.leftOut(after: linesBefore, except: terminal)
    return SyncSummary(
      sent: admission.appended.count, received: application.applied, repairedBytes: audited.repairedBytes,
      conflicts: overdrawn + application.refused,
      refusedByHQ: admission.refused.map { "\($0.entry.id): \($0.reason)" }, excluded: excluded,
      notices: finalState.terminals[terminal] == nil
        ? [
          "terminal \(terminal) is not registered in this ledger: it has learnt the ledger but cannot record until HQ "
            + "registers it (ledger register-terminal) and it syncs again"
        ] : [])
  }

  /// The same once-only event, whoever recorded it.
  static func sameEvent(_ a: Entry, _ b: Entry) -> Bool {
    a.kind == b.kind && a.account == b.account && a.card == b.card && a.points == b.points && a.amount == b.amount
      && a.receipt == b.receipt && a.ref == b.ref
  }
}
