import Foundation
import LedgerFormat
import LedgerStore
import LocalFiles
import Logging
import LoyaltyCore
import SyncProtocol

/// HQ's ledger as its sync service holds it: the file, verified and audited once at start and
/// kept in memory, so each admission costs its own entries and not the whole history. The only
/// writer: each admission takes the writers' lock, catches up with anything HQ's own commands
/// appended meanwhile, admits, appends, fsyncs and reads back — and records its answer under the
/// batch id before answering, so a retry gets the same answer and appends nothing twice.
/// Downloads never wait for it: they read the sealed bytes before `committed`.
///
/// Its work is blocking system calls (`flock` waiting for another writer, audits reading the
/// file, `fsync`), so the actor runs on a dispatch queue of its own, never on the cooperative
/// pool the HTTP server's tasks share.
public actor HQLedger {
  private let executor = DispatchQueueExecutor(label: "hq-ledger")
  public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
  public let file: LedgerFile
  let hqKey: LedgerKey
  let logger: Logger
  private var audited: AuditedLedger
  private var answers: [String: SubmissionAnswer] = [:]
  private var snapshot: (seq: Int64, data: Data)?
  /// The digest of every account's state, moved after each admission in O(accounts it changed).
  private var epochs = StateEpochs()
  /// The signed epoch at `epochs.seq`.
  private var signedEpoch: StateEpoch?
  /// What the service counts (the registry `GET /metrics` exports belongs to it).
  public let metrics: HQMetrics

  /// Where the answers to submissions are kept (one JSON object per line), next to the ledger.
  var answersPath: String { file.path + ".answers" }

  /// Loads the ledger (verified and audited; a torn tail of a killed append is cut) with HQ's key.
  /// `metrics`: where it counts (its own registry by default).
  public init(file: LedgerFile, hqKey: LedgerKey, logger: Logger, metrics: HQMetrics = HQMetrics()) throws {
    self.file = file
    self.metrics = metrics
    self.hqKey = hqKey
    self.logger = logger
    let audited = try file.withExclusiveLock { locked in try locked.audited(repairing: true) }
    guard audited.state.hqKey == hqKey.publicKeyBase64 else {
      throw LedgerError(line: 1, "the key given is not the HQ key in \(file.path)'s header")
    }
    if audited.repairedBytes > 0 {
      logger.warning("cut a torn append from the ledger's tail", metadata: ["bytes": "\(audited.repairedBytes)"])
    }
    self.audited = audited
    self.answers = Self.loadAnswers(file.path + ".answers")
    metrics.set(lastSeq: audited.state.lastSeq, entries: audited.state.entries, offset: audited.state.offset)
    // The first epoch hashes every account once; each admission then re-hashes only its own.
    var epochs = StateEpochs()
    try epochs.advance(to: audited.fold, at: audited.state)
    self.epochs = epochs
  }

  /// The sealed end of the ledger: downloads read the bytes before it.
  public var committed: LedgerVerifier.State { audited.state }

  /// The key HQ registered for `terminal`, nil when it is not registered (or revoked) — as the
  /// file says now: a registration or revocation HQ appended meanwhile is read in first.
  public func registeredKey(of terminal: String) throws -> String? {
    try readIfMoved()
    return audited.state.terminals[terminal]
  }

  /// Reads in what HQ's commands appended to the file since (a registration, a program). A file
  /// that cannot be read again, or no longer holds what the service verified, refuses the request
  /// with what is wrong — not as an unknown terminal.
  public func readIfMoved() throws {
    var info = stat()
    guard stat(file.path, &info) == 0, Int(info.st_size) != audited.state.offset else { return }
    do { try underWritersLock { locked in _ = try catchUp(locked) } } catch let error as HQRequestError {
      throw error
    } catch {
      logger.critical("the ledger file cannot be read again: \(error)")
      throw HQRequestError(
        .serviceUnavailable,
        "HQ's ledger file cannot be read again (\(error)); nothing done — HQ: check it with `ledger verify`",
        code: "ledgerUnreadable")
    }
  }

  /// Admits a terminal's batch: the answer recorded for this batch id if there is one, else the
  /// ledger's one submission step.
  public func submit(_ submission: Submission, now: UTCInstant) throws -> SubmissionAnswer {
    // The content first: the batch id must name exactly this terminal's entries, so an answer is
    // only ever given back for the same batch.
    let entries: [Entry]
    do throws(SyncProtocolError) { entries = try submission.entries() } catch {
      throw HQRequestError(.badRequest, error.description)
    }
    if let seq = submission.seq, let mark = audited.state.restore(losing: seq) {
      throw HQRequestError.restored(mark, terminalSeq: seq)
    }
    if let answer = answers[submission.batch] {
      if let problem = storedAnswerProblem(answer, for: submission.terminal, entries: entries) {
        // The answers file is next to the ledger, not sealed: a line there is only believed where
        // the ledger agrees.
        logger.warning(
          "ignored a stored answer: \(problem); admitting the batch afresh (was \(answersPath) altered?)",
          metadata: ["batch": "\(submission.batch.prefix(16))"])
        answers[submission.batch] = nil
      } else {
        return answer
      }
    }
    if let problem = audited.signerProblem(submission.terminal, batch: entries) {
      throw HQRequestError(.forbidden, "nothing appended: \(problem)", code: "notItsBatch")
    }
    let started = ContinuousClock.now
    var repaired = 0
    let submitted: Admission
    do {
      submitted = try underWritersLock { locked in
        repaired = try catchUp(locked)
        return try locked.submit(
          entries, to: &audited, since: submission.since, signer: submission.terminal, key: hqKey,
          at: UTCInstant(seconds: submission.at), now: now)
      }
    } catch {
      // The fold may hold part of a batch that was not written (a full disk): reload it.
      try reload()
      throw error
    }
    if let problem = submitted.refusalLogProblem { logger.warning("\(problem)") }
    var answer = SubmissionAnswer(
      batch: submission.batch, appended: submitted.appended.map(\.id), held: submitted.held,
      refused: submitted.refused.map { .init(id: $0.entry.id, reason: $0.reason) }, terminal: submission.terminal)
    answer.repairedBytes = repaired
    // Signed before it is recorded: a replay gives back HQ's own signature, and a line edited in
    // the answers file no longer verifies.
    answer.sign(with: hqKey)
    // Kept for a retry only when the batch changed the ledger; a batch refused whole is refused
    // the same way again (and a stolen key cannot fill HQ's disk with answers).
    if !answer.appended.isEmpty {
      try record(answer)
      try publishEpoch(now: now)
    }
    metrics.admitted(
      entries: answer.appended.count, refused: answer.refused.count, duration: ContinuousClock.now - started)
    metrics.set(lastSeq: audited.state.lastSeq, entries: audited.state.entries, offset: audited.state.offset)
    return answer
  }

  /// The checkpoint a terminal at (`from`, `fromSeq`, `lines`, the chain's `head` there) goes on
  /// to, signed. A terminal whose position the file no longer holds — the line ending at `from`
  /// is not `head` — is refused: HQ's history below it was rewritten, and its states would not be
  /// the ones it decided on.
  public func checkpoint(
    from: Int, fromSeq: Int64, lines: Int, head: String? = nil, for terminal: String, now: UTCInstant
  ) throws -> SyncCheckpoint {
    let end = try underWritersLock { locked in
      _ = try catchUp(locked)
      let end = audited.state
      if let mark = end.restore(losing: fromSeq) { throw HQRequestError.restored(mark, terminalSeq: fromSeq) }
      if let head, from > 0, from <= end.offset {
        var position = LedgerVerifier.State()
        position.offset = from
        position.lines = lines
        position.lastSeq = fromSeq
        position.head = head
        position.hqKey = hqKey.publicKeyBase64
        do { try locked.checkExtends(position) } catch {
          logger.error("a terminal's position is not in HQ's ledger", metadata: ["terminal": "\(terminal)"])
          throw HQRequestError(
            .conflict,
            "HQ's ledger no longer holds this terminal's position (seq \(fromSeq), byte \(from)): its history was "
              + "rewritten below it (\(error)); nothing synced — HQ: check the ledger with `ledger verify` and restore "
              + "a backup", code: "historyRewritten")
        }
      }
      return end
    }
    guard from >= 0, from <= end.offset, fromSeq >= 0, fromSeq <= end.lastSeq, lines >= 0, lines <= end.lines else {
      throw HQRequestError(
        .rangeNotSatisfiable,
        "position \(from) (seq \(fromSeq)) is past the end of HQ's ledger (\(end.offset), seq \(end.lastSeq)): "
          + "this terminal's cache is from another ledger, or HQ's ledger was rolled back")
    }
    var checkpoint = SyncCheckpoint(
      from: from, fromSeq: fromSeq, offset: end.offset, lines: end.lines, lastSeq: end.lastSeq, head: end.head)
    var position = LedgerVerifier.State()
    position.lastSeq = fromSeq
    position.lines = lines
    (checkpoint.leftOut, checkpoint.leftOutReasons) = audited.leftOut(after: position, except: terminal)
    checkpoint.sign(with: hqKey, at: now.seconds)
    return checkpoint
  }

  /// The state delta after epoch `since`, as of the current epoch (published first if the ledger
  /// moved since the last one), signed with HQ's key, and its entity tag: the same request gives
  /// the same bytes while the signed epoch is the same one, so a cut download resumes (`If-Range`).
  public func stateDelta(since: Int64, programChecksum: String?, terminal: String, now: UTCInstant) throws -> (
    bytes: [UInt8], etag: String
  ) {
    try underWritersLock { locked in _ = try catchUp(locked) }
    let end = audited.state
    if let mark = end.restore(losing: since) { throw HQRequestError.restored(mark, terminalSeq: since) }
    guard since <= end.lastSeq else {
      throw HQRequestError(
        .rangeNotSatisfiable,
        "epoch \(since) is past the end of HQ's ledger (seq \(end.lastSeq)): this replica is from another ledger, or "
          + "HQ's ledger was rolled back")
    }
    let epoch = try publishEpoch(now: now)
    let region = audited.fold.program?.regions?.region(of: terminal)
    let bytes = StateDelta.bytes(
      of: audited.fold, epoch: epoch, since: since, programSince: programChecksum, region: region)
    let identity = "\(epoch.signature ?? "")|\(since)|\(programChecksum ?? "")|\(region ?? "")"
    return (bytes, "\"" + StateDelta.checksum(text: identity).prefix(32) + "\"")
  }

  /// `terminal` looking `card` up on `basis` (its checkpoint): the card's account as the audit
  /// takes it to know it there, signed with HQ's key. O(the account's recent entries).
  public func lookUp(card: String, basis: Int64, terminal: String, now: UTCInstant) throws -> AccountLookup {
    // What HQ's commands appended since, read in; no writers' lock when nothing was (a stat).
    try readIfMoved()
    var answer: AccountLookup
    do throws(LookUpRefusal) {
      answer = try audited.fold.lookUp(card: card, basis: basis, terminal: terminal, at: audited.state)
    } catch {
      switch error {
      case .badCard: throw HQRequestError(.badRequest, error.description, code: "badCard")
      case .pastTheEnd: throw HQRequestError(.rangeNotSatisfiable, error.description, code: "pastTheEnd")
      case .notABasis: throw HQRequestError(.conflict, error.description, code: "syncFirst")
      case .restored(let mark, let basis): throw HQRequestError.restored(mark, terminalSeq: basis)
      }
    }
    answer.sign(with: hqKey, at: now.seconds)
    return answer
  }

  /// The epoch at the ledger's sealed end, signed: the accounts changed since the last one are
  /// re-hashed (all of them after a full read of the file).
  @discardableResult
  func publishEpoch(now: UTCInstant) throws -> StateEpoch {
    if let signedEpoch, signedEpoch.seq == audited.state.lastSeq, epochs.seq == audited.state.lastSeq {
      return signedEpoch
    }
    let started = ContinuousClock.now
    let changed = epochs.seq == audited.state.lastSeq ? 0 : try epochs.advance(to: audited.fold, at: audited.state)
    var epoch = epochs.epoch(audited.fold, at: audited.state)
    epoch.sign(with: hqKey, at: now.seconds)
    signedEpoch = epoch
    metrics.publishedEpoch(accounts: changed, duration: ContinuousClock.now - started)
    if let regions = epoch.regions { metrics.regions(regions) }
    return epoch
  }

  /// HQ's signed snapshot at the ledger's current end (made once per position).
  public func currentSnapshot() throws -> Data {
    if let snapshot, snapshot.seq == audited.state.lastSeq { return snapshot.data }
    let made = try LedgerSnapshot.make(fold: audited.fold, state: audited.state, hqKey: hqKey)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(made)
    snapshot = (audited.state.lastSeq, data)
    return data
  }

  /// HQ's own commands (`ledger register-terminal`, `publish-program`) append to the file under
  /// its lock while the service runs: a file that moved past what the service holds is read
  /// again. Returns the bytes of a torn tail cut.
  private func catchUp(_ locked: borrowing LockedLedger) throws -> Int {
    guard try locked.size() != audited.state.offset else { return 0 }
    // HQ's commands only ever append: a file that no longer holds what the service verified was
    // cut, rolled back or swapped under it. Not adopted: every request is refused until HQ's
    // operator restores the ledger (with the service stopped) and starts it again.
    do { try locked.checkExtends(audited.state) } catch {
      logger.critical("the ledger file was rewritten under the service: \(error)")
      throw HQRequestError(
        .serviceUnavailable,
        "HQ's ledger file was rewritten under the service (\(error)): stop loyalty-hq serve, check the file with "
          + "`ledger verify`, restore a backup (`ledger restore`) and start the service again", code: "ledgerRewritten")
    }
    logger.notice("the ledger file moved past what the service holds (an HQ command); reading it again")
    audited = try locked.audited(repairing: true)
    epochs = StateEpochs()  // a fold read afresh: the next epoch hashes every account
    metrics.set(lastSeq: audited.state.lastSeq, entries: audited.state.entries, offset: audited.state.offset)
    return audited.repairedBytes
  }

  /// Why a stored answer cannot be given back for `terminal`'s `entries`, or nil: it must be
  /// signed by HQ's key for that terminal, name exactly the batch's entries, and every id it says
  /// appended or held must be in the ledger's fold.
  private func storedAnswerProblem(_ answer: SubmissionAnswer, for terminal: String, entries: [Entry]) -> String? {
    guard answer.terminal == terminal, answer.isSigned(by: hqKey.publicKeyBase64) else {
      return "it is not signed by HQ's key for terminal \(terminal)"
    }
    let named = answer.appended + answer.held + answer.refused.map(\.id)
    guard Set(named) == Set(entries.map(\.id)), named.count == entries.count else {
      return "it does not name exactly the batch's \(entries.count) entries"
    }
    let missing = (answer.appended + answer.held).filter { !audited.fold.audit.contains(id: $0) }
    guard missing.isEmpty else {
      return "it claims \(missing.count) entries held or appended that the ledger does not hold (\(missing[0]), …)"
    }
    return nil
  }

  /// `file.withExclusiveLock`, with the wait shown in health: a wait that lasts means something
  /// else holds the writers' lock.
  private func underWritersLock<T>(_ body: (borrowing LockedLedger) throws -> T) throws -> T {
    metrics.waitingForLock(true)
    defer { metrics.waitingForLock(false) }
    return try file.withExclusiveLock { locked in
      metrics.waitingForLock(false)
      return try body(locked)
    }
  }

  private func reload() throws {
    audited = try underWritersLock { locked in try locked.audited(repairing: true) }
    epochs = StateEpochs()
  }

  private func record(_ answer: SubmissionAnswer) throws {
    answers[answer.batch] = answer
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var line = try encoder.encode(answer)
    line.append(0x0A)
    // Best effort, said when it fails: without the line a retry of this batch is admitted afresh
    // and its entries read back as held, nothing appended twice.
    do { try SystemCall.append(Array(line), toFileAt: answersPath, sync: true) } catch {
      logger.warning("cannot record the answer in \(answersPath): \(error)")
    }
  }

  private static func loadAnswers(_ path: String) -> [String: SubmissionAnswer] {
    guard let data = FileManager.default.contents(atPath: path) else { return [:] }
    var out: [String: SubmissionAnswer] = [:]
    // The latest 100 000 answers: a terminal retries within a night, not a year later (an older
    // batch's entries are read back as held anyway).
    for line in data.split(separator: 0x0A).suffix(100_000) {
      if let answer = try? JSONDecoder().decode(SubmissionAnswer.self, from: Data(line)) { out[answer.batch] = answer }
    }
    return out
  }
}
