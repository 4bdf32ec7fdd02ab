import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import PointsCache
import SyncProtocol

/// What a sync did.
public struct SyncSummary: Sendable {
  /// Entries this terminal appended to the ledger (read back from it).
  public var sent: Int
  /// Account states HQ's delta brought (the accounts changed since the cache's epoch; every
  /// account at a bootstrap).
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

/// The nightly sync of one terminal with the central ledger, over a `LedgerConnection`: HQ's
/// sync service (`HQClient`) or HQ's file on this machine (the store's `LocalLedgerConnection`).
/// It knows the port only: both run the same admission and compute the same epochs on HQ's side.
///
/// HQ's side admits the outbox entries the ledger does not hold yet (appended with a seal,
/// fsynced) and answers for each; the terminal checks that answer and HQ's checkpoint (HQ's
/// signature over the service), then fetches the states of the accounts changed since the epoch
/// its cache holds (`StateDelta`: every account at the first sync) and in one SQLite transaction
/// moves what HQ refused to `refusal` with its reason, marks synced what HQ holds, replaces those
/// accounts' states — each account's rows becoming HQ's state with this terminal's unsynced
/// entries on top — and commits only when the states give the epoch's digest, count and
/// liability. The cache never stores another terminal's entries. Its work runs off the
/// cooperative pool. Killed at any instant and run again, it converges.
public struct NightlySync: Sendable {
  public let cache: PointsCache
  public let connection: any LedgerConnection
  public let terminal: String
  public let key: LedgerKey
  /// Where HQ's state delta is kept until applied: beside the cache by default.
  public let scratch: String
  /// The cache's reads and writes, off the cooperative pool.
  let blocking = BlockingCallQueue(label: "nightly-sync")

  public init(
    cache: PointsCache, connection: any LedgerConnection, terminal: String, key: LedgerKey, scratch: String? = nil
  ) {
    self.cache = cache
    self.connection = connection
    self.terminal = terminal
    self.key = key
    self.scratch = scratch ?? cache.path + ".state"
  }

  /// Starts a fresh cache from an HQ snapshot (checked by the connection: against HQ's file, or
  /// HQ's signature), so the first sync applies only the tail.
  public func bootstrap(from snapshot: LedgerSnapshot, at time: UTCInstant) async throws {
    // Over HQ's service the snapshot is signed by the HQ key it names; the first checkpoint must
    // then be signed by that same key, and the bytes after it must continue its chain.
    try await connection.check(snapshot)
    let cache = cache
    try await blocking.run {
      let checkpoint = String(decoding: try JSONEncoder().encode(snapshot.ledger), as: UTF8.self)
      try cache.importSnapshot(
        program: snapshot.program, accounts: try snapshot.accountStates(), checkpoint: checkpoint,
        position: Int64(snapshot.ledger.offset), lastSeq: snapshot.ledger.lastSeq, head: snapshot.ledger.head,
        at: time)
    }
  }

  /// The cache's side before talking to HQ: its owner, checkpoint and outbox.
  func prepare() throws -> (
    state: LedgerVerifier.State, outbox: [Entry], replica: ReplicaPosition?, program: String?
  ) {
    if let owner = try cache.owner(), owner != terminal {
      throw RuleError(.wrongTerminal, "this cache belongs to terminal \(owner), not \(terminal); nothing synced")
    }
    try cache.bind(to: terminal)  // a cache that joined a chain as T01 records as T01 only
    let state = try cache.verifierState() ?? LedgerVerifier.State()
    // The program's checksum from its text as held, not as last recorded: a program edited in
    // the cache is not the epoch's, and HQ sends the text again.
    // A replica of other accounts than the program in it has this terminal hold (every account,
    // or another region: a snapshot, a program that moved the terminal) starts afresh.
    let text = try cache.programText()
    let region = region(in: text)
    let replica = try cache.replicaPosition().flatMap { $0.region == region ? $0 : nil }
    return (state, try cache.outbox(), replica, text.map(StateDelta.checksum(text:)))
  }

  /// The region the program `text` puts this terminal in (its replica holds that region's members),
  /// or nil: every account.
  func region(in text: String?) -> String? {
    text.flatMap { try? ProgramParser.parse(Data($0.utf8)) }?.regions?.region(of: terminal)
  }

  /// The time the outbox's batch is sealed at: the sync's time, or the latest entry's when the
  /// counter's clock has since gone back (by up to a day): an honest entry is never sealed before
  /// its own time, which the audit would refuse for good. An entry dated further ahead (a clock
  /// gone wild, an edited cache) does not move the seal: it alone is refused, with its reason,
  /// and the rest of the batch goes on (a seal more than a day ahead is refused whole).
  static func sealTime(_ time: UTCInstant, outbox: [Entry]) -> UTCInstant {
    let limit = time.adding(days: 1)
    return outbox.map(\.at).filter { $0 <= limit }.reduce(time) { max($0, $1) }
  }

  /// Syncs at `time`; `now`, when given, is the machine's clock, which the sync's time may not be
  /// more than a day ahead of (a wrong clock or `--at` appends nothing). When HQ restored its
  /// ledger from a backup past what this cache synced, the cache goes back and syncs again.
  public func run(
    at time: UTCInstant, now: UTCInstant? = nil, progress: @escaping @Sendable (String) -> Void = { _ in }
  )
    async throws -> SyncSummary
  {
    do { return try await runOnce(at: time, now: now, progress: progress) } catch let restored as LedgerRestored {
      let notice = try await goBack(restored, at: time, progress: progress)
      var summary = try await runOnce(at: time, now: now, progress: progress)
      summary.notices.insert(notice, at: 0)
      return summary
    }
  }

  /// HQ restored its ledger from a backup and this cache synced history HQ lost: the cache goes
  /// back to its last sync at or before the backup's end (its entries read back since are sent
  /// again, what it learnt since is learnt again). Returns the line that says so.
  func goBack(_ restored: LedgerRestored, at time: UTCInstant, progress: @Sendable (String) -> Void) async throws
    -> String
  {
    progress("\(restored.description): going back")
    let cache = cache
    let rewind = try await blocking.run { try cache.rewind(toAtMost: restored.mark.point, at: time) }
    return "HQ's ledger was restored from a backup (to seq \(restored.mark.point)): this counter went back from seq "
      + "\(rewind.fromSeq) to its sync at seq \(rewind.lastSeq) and sent again \(rewind.resent) of its entries "
      + (rewind.replica
        ? "(every account's state taken afresh from HQ)" : "(\(rewind.forgotten) learnt from the ledger, read again)")
  }

  func runOnce(at time: UTCInstant, now: UTCInstant?, progress: @escaping @Sendable (String) -> Void) async throws
    -> SyncSummary
  {
    let (state, outbox, replica, program) = try await blocking.run { [self] in try prepare() }
    progress(
      "read checkpoint at seq \(state.lastSeq); \(outbox.count) entr\(outbox.count == 1 ? "y" : "ies") in the outbox")
    if !outbox.isEmpty {
      progress("submitting \(outbox.count) entr\(outbox.count == 1 ? "y" : "ies") to \(connection.location)")
    }
    let exchange = try await connection.exchange(
      outbox, at: Self.sealTime(time, outbox: outbox), after: state, terminal: terminal, key: key, now: now)
    if exchange.repairedBytes > 0 { progress("HQ cut \(exchange.repairedBytes) bytes of a torn append from the tail") }
    // HQ's signature against the key pinned at the first sync (or, at the very first, against the
    // key HQ's epoch names: checked once the delta is read).
    if connection.signsCheckpoints, let pinned = state.hqKey {
      try exchange.checkpoint.check(follows: state, hqKey: pinned)
    } else {
      try exchange.checkpoint.check(follows: state, hqKey: nil)
    }
    let since = replica?.seq ?? 0
    var summary: SyncSummary
    do {
      summary = try await fetchAndApply(
        since: since, program: program, exchange, state: state, outbox: outbox, at: time, progress: progress)
    } catch let mismatch as ReplicaError where since > 0 {
      // The cache's states do not give HQ's epoch with this delta (a cache edited or damaged,
      // an epoch it does not follow): every state afresh, in the same one transaction. A delta
      // altered on the way is refused again, and nothing changes.
      progress("\(mismatch.description); taking every account's state afresh")
      summary = try await fetchAndApply(
        since: 0, program: program, exchange, state: state, outbox: outbox, at: time, progress: progress)
      summary.notices.append(
        "this counter's account states did not follow HQ's epoch (\(mismatch.description)): it took every "
          + "account's state afresh from HQ")
    }
    summary.notices += exchange.notices
    return summary
  }

  /// Fetches the delta after `since` and applies it (`finish`).
  func fetchAndApply(
    since: Int64, program: String?, _ exchange: SyncExchange, state: LedgerVerifier.State, outbox: [Entry],
    at time: UTCInstant, progress: @escaping @Sendable (String) -> Void
  ) async throws -> SyncSummary {
    progress(since == 0 ? "fetching every account's state" : "fetching the accounts changed since epoch \(since)")
    let path = try await connection.stateDelta(
      since: since, programChecksum: program, terminal: terminal, key: key, scratch: scratch)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await blocking.run { [self] in
      try finish(exchange, delta: path, state: state, outbox: outbox, program: program, at: time, progress: progress)
    }
  }

  /// Applies the state delta at `delta` with what HQ's answer says of the outbox, after checking
  /// HQ's signatures (over the service) against the pinned key.
  func finish(
    _ exchange: SyncExchange, delta: String, state: LedgerVerifier.State, outbox: [Entry], program: String?,
    at time: UTCInstant, progress: @Sendable (String) -> Void
  ) throws -> SyncSummary {
    let checkpoint = exchange.checkpoint
    let reader = try StateDeltaReader(path: delta)
    let epoch = reader.header.epoch
    let hqKey = state.hqKey ?? epoch.hqKey
    if connection.signsCheckpoints {
      guard let hqKey, epoch.isSigned(by: hqKey) else {
        throw StateDeltaError(
          "HQ's epoch \(epoch.seq) is not signed by the HQ key this terminal pinned: nothing applied")
      }
      try checkpoint.check(follows: state, hqKey: hqKey)
    }
    // Over the service, nothing of an answer is believed unless HQ's key signed it.
    if connection.signsAnswers { try checkAnswers(exchange, hqKey: hqKey) }
    guard epoch.seq >= checkpoint.lastSeq else {
      throw StateDeltaError(
        "HQ's epoch \(epoch.seq) is older than its checkpoint (seq \(checkpoint.lastSeq)): nothing applied")
    }
    if let program = reader.header.program, StateDelta.checksum(text: program) != epoch.programChecksum {
      throw StateDeltaError("the delta's program is not the one its epoch names: nothing applied")
    }
    let answer = exchange.answer
    var claimed = Set(answer?.appended ?? [])
    claimed.formUnion(answer?.held ?? [])
    let refused = answer?.refused ?? []
    var final = state
    final.offset = epoch.offset
    final.lines = epoch.lines
    final.lastSeq = epoch.seq
    final.head = epoch.head
    final.hqKey = hqKey
    final.terminals = epoch.terminals
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let epochText = String(decoding: try encoder.encode(epoch), as: UTF8.self)
    // A terminal the program puts in a region holds that region's members, and only those.
    let region = region(in: try reader.header.program ?? cache.programText())
    guard reader.header.region == region else {
      throw StateDeltaError(
        "HQ sent \(PointsCache.describe(region: reader.header.region)) where the program puts \(terminal) in "
          + (region.map { "region \($0)" } ?? "no region") + ": nothing applied")
    }
    var target = ReplicaTarget(
      seq: epoch.seq, accounts: epoch.accounts, liability: epoch.liability, checksum: epoch.digest,
      programChecksum: epoch.programChecksum, epoch: epochText)
    if let region {
      guard let part = epoch.regions?[region], let day = epoch.day else {
        throw StateDeltaError("HQ's epoch \(epoch.seq) does not vouch for region \(region): nothing applied")
      }
      target = ReplicaTarget(
        seq: epoch.seq, accounts: part.accounts, liability: part.liability, checksum: part.digest,
        programChecksum: epoch.programChecksum, epoch: epochText, day: day)
    }
    let application = try cache.applyStateSync(
      StateDeltaInput(
        since: reader.header.since, full: reader.header.full, program: reader.header.program, target: target,
        heldProgram: program, region: region, states: { emit in try reader.states(emit) }),
      claimed: claimed, refusedByHQ: refused,
      position: SyncPosition(
        state: String(decoding: try JSONEncoder().encode(final), as: UTF8.self), offset: Int64(final.offset),
        lastSeq: final.lastSeq, head: final.head, registered: final.terminals[terminal] == key.publicKeyBase64),
      at: time)
    let plural = { (n: Int, word: String) in "\(n) \(word)\(n == 1 ? "" : "s")" }
    progress(
      "applied \(plural(application.applied, "account state"))\(reader.header.full ? " (all of them)" : "")"
        + (application.left > 0
          ? "; \(plural(application.left, "account")) left the region (not seen there lately)" : "")
        + "; epoch \(epoch.seq): \(plural(target.accounts, "account"))\(region.map { " in region \($0)" } ?? ""), "
        + "\(target.liability) points outstanding")
    if let registered = final.terminals[terminal], registered != key.publicKeyBase64 {
      progress("note: HQ registers another key for \(terminal)")
    }
    // Each refusal with what it would have moved, from the outbox: the cashier can credit it.
    let sent = Dictionary(outbox.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    let refusals = refused.map { r in
      "\(r.id)\(sent[r.id]?.accountAndPoints.map { " (\($0))" } ?? ""): \(r.reason)"
    }
    let overdrawn = application.overdrawn.sorted { $0.key < $1.key }.map {
      "account \($0.key) is overdrawn: balance \($0.value)"
    }
    var notices: [String] = []
    if final.terminals[terminal] == nil {
      notices.append(
        "terminal \(terminal) is not registered in this ledger: it has learnt the ledger but cannot record until HQ "
          + "registers it (ledger register-terminal) and it syncs again")
    }
    return SyncSummary(
      sent: (answer?.appended ?? []).count, received: application.applied, repairedBytes: exchange.repairedBytes,
      conflicts: overdrawn, refusedByHQ: refusals, excluded: checkpoint.leftOutReasons, notices: notices)
  }

  /// Every part of HQ's answer must be signed by `hqKey` for this terminal: one that is not
  /// (altered on the way, or a forged stored answer) stops the sync before anything is marked.
  func checkAnswers(_ exchange: SyncExchange, hqKey: String?) throws(SyncProtocolError) {
    for part in exchange.answers { try part.check(signedBy: hqKey, for: terminal) }
  }

}
