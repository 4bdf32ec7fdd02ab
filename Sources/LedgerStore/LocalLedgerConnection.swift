import Foundation
import LedgerFormat
import LocalFiles
import LoyaltyCore
import SyncProtocol
import Synchronization
import SystemPackage

/// The embedded path, HQ's code run by a terminal: HQ's ledger file on this machine (or a mounted
/// disk), taken under its exclusive lock for HQ's own admission (off the cooperative pool). The terminal verifies and audits the whole file itself, so
/// its checkpoint needs no signature; the bytes are read from the file in place.
public struct LocalLedgerConnection: LedgerConnection {
  public let ledger: LedgerFile
  /// What the last exchange audited (the fold, at the file's end then), for the state delta the
  /// same sync asks for next: HQ's file is read and audited once a sync, not twice.
  private let lastAudit = LastAudit()

  final class LastAudit: Sendable {
    let held = Mutex<(fold: LedgerFold, state: LedgerVerifier.State)?>(nil)
  }

  public init(ledger: LedgerFile) { self.ledger = ledger }

  public var location: String { ledger.path }
  public var signsCheckpoints: Bool { false }
  /// The answer is this terminal's own admission's.
  public var signsAnswers: Bool { false }

  public func exchange(
    _ outbox: [Entry], at: UTCInstant, after state: LedgerVerifier.State, terminal: String, key: LedgerKey,
    now: UTCInstant?
  ) async throws -> SyncExchange {
    try await Self.blocking.run { [self] in
      try exchangeNow(outbox, at: at, after: state, terminal: terminal, key: key, now: now)
    }
  }

  /// The file's lock, audit and fsync, off the cooperative pool.
  static let blocking = BlockingCallQueue(label: "ledger-file-path")

  /// `exchange`, synchronously.
  public func exchangeNow(
    _ outbox: [Entry], at: UTCInstant, after state: LedgerVerifier.State, terminal: String, key: LedgerKey,
    now: UTCInstant?
  ) throws -> SyncExchange {
    let (audited, submitted) = try ledger.withExclusiveLock { locked in
      do { try locked.checkExtends(state) } catch {
        // HQ restored its ledger from a backup, and this terminal synced lines it lost.
        var tail = LedgerVerifier.Tail.clean  // a torn tail is cut by the admission, not here
        if let mark = try LedgerVerifier.readVerified(path: ledger.path, tail: &tail, each: { _ in })
          .restore(losing: state.lastSeq)
        {
          throw LedgerRestored(mark)
        }
        throw error
      }
      var audited = try locked.audited(repairing: true)
      var submitted: Admission?
      if !outbox.isEmpty {
        submitted = try locked.submit(
          outbox, to: &audited, since: state.offset, signer: terminal, key: key, at: at, now: now)
      }
      return (audited, submitted)
    }
    lastAudit.held.withLock { $0 = (audited.fold, audited.state) }
    // A terminal HQ registered with another key: the key file is the wrong one (nothing synced,
    // so the counter keeps recording on its last good checkpoint).
    if let registered = audited.state.terminals[terminal], registered != key.publicKeyBase64 {
      throw LedgerError(
        line: 0,
        "the key given is not the one HQ registered for \(terminal) (registered: \(registered.prefix(12))…, given: "
          + "\(key.publicKeyBase64.prefix(12))…); nothing synced")
    }
    let end = audited.state
    var checkpoint = SyncCheckpoint(
      from: state.offset, fromSeq: state.lastSeq, offset: end.offset, lines: end.lines, lastSeq: end.lastSeq,
      head: end.head)
    (checkpoint.leftOut, checkpoint.leftOutReasons) = audited.leftOut(after: state, except: terminal)
    let answer = submitted.map {
      SubmissionAnswer(
        batch: "", appended: $0.appended.map(\.id), held: $0.held,
        refused: $0.refused.map { .init(id: $0.entry.id, reason: $0.reason) })
    }
    var exchange = SyncExchange(answer: answer, checkpoint: checkpoint, repairedBytes: audited.repairedBytes)
    // HQ's own housekeeping went wrong (its refusal log): the terminal's operator tells HQ.
    exchange.notices = submitted?.refusalLogProblem.map { [$0] } ?? []
    return exchange
  }

  public func download(_ checkpoint: SyncCheckpoint, terminal: String, key: LedgerKey, scratch: String) async throws
    -> LedgerBytes
  {
    downloadNow(checkpoint)
  }

  /// The snapshot must match this file (and carry HQ's signature).
  public func check(_ snapshot: LedgerSnapshot) async throws {
    try await Self.blocking.run { [ledger] in try snapshot.check(against: ledger.path) }
  }

  /// The bytes are the file's own.
  public func downloadNow(_ checkpoint: SyncCheckpoint) -> LedgerBytes {
    LedgerBytes(
      path: ledger.path, start: checkpoint.from, count: checkpoint.offset - checkpoint.from, isDownload: false)
  }

  /// The file path computes the epoch from HQ's file itself — the fold every reader makes, the
  /// same `StateEpochs` and `StateDelta` HQ's service uses — and writes the delta to `scratch`.
  /// Unsigned: the terminal's own audit of HQ's file vouches for it.
  public func stateDelta(since: Int64, programChecksum: String?, terminal: String, key: LedgerKey, scratch: String)
    async throws -> String
  {
    try await Self.blocking.run { [ledger, lastAudit] in
      let (fold, state) = try Self.audit(ledger, reusing: lastAudit)
      guard since <= state.lastSeq else {
        throw LedgerError(
          line: 0, "the replica's epoch \(since) is past the end of HQ's ledger (seq \(state.lastSeq)): rebuild it")
      }
      var epochs = StateEpochs()
      try epochs.advance(to: fold, at: state)
      let bytes = StateDelta.bytes(
        of: fold, epoch: epochs.epoch(fold, at: state), since: since, programSince: programChecksum,
        region: fold.program?.regions?.region(of: terminal))
      try? FileManager.default.removeItem(atPath: scratch)
      do { try SystemCall.create(bytes, atPath: scratch, permissions: [.ownerReadWrite]) } catch {
        throw LedgerError(line: 0, "cannot write the state delta to \(scratch): \(error)")
      }
      return scratch
    }
  }

  /// The fold of HQ's file at its end: the last exchange's when nothing was appended since (the
  /// file's size is still that exchange's end), else read and audited afresh.
  static func audit(_ ledger: LedgerFile, reusing last: LastAudit) throws -> (LedgerFold, LedgerVerifier.State) {
    if let held = last.held.withLock({ held in
      defer { held = nil }
      return held
    }),
      let size = try? FileManager.default.attributesOfItem(atPath: ledger.path)[.size] as? Int,
      size == held.state.offset
    {
      return held
    }
    var fold = LedgerFold()
    var tail = LedgerVerifier.Tail.clean  // an unsealed tail is no one's yet
    let state = try LedgerVerifier.readVerified(
      path: ledger.path, tail: &tail, each: { fold.take($0) { _ in } }, excluded: { fold.exclude($0) })
    return (fold, state)
  }
}

extension LocalLedgerConnection {
  /// Computed from HQ's file itself (read and audited: the embedded path's cost), unsigned.
  public func lookUp(card: String, basis: Int64, terminal: String, key: LedgerKey) async throws -> AccountLookup {
    try await Self.blocking.run { [ledger, lastAudit] in
      let (fold, state) = try Self.audit(ledger, reusing: lastAudit)
      do throws(LookUpRefusal) {
        return try fold.lookUp(card: card, basis: basis, terminal: terminal, at: state)
      } catch {
        // As HQ's service answers it (409 `restored`): the terminal goes back and syncs first.
        if case .restored(let mark, _) = error { throw LedgerRestored(mark) }
        throw LedgerError(line: 0, error.description)
      }
    }
  }
}
