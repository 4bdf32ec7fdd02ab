import Foundation
import LoyaltyCore

/// The ledger as admission sees it: the whole file verified and audited under the lock.
public struct AuditedLedger: Sendable {
  /// The verifier's state after the last sealed batch.
  public var state: LedgerVerifier.State
  /// Every account, the audit's refusals and exclusions.
  public var fold: LedgerFold
  /// Bytes of an incomplete append cut from the tail (0 when none).
  public var repairedBytes: Int
  /// Accepted entries after `since` (seals excluded), in ledger order: what a terminal learns.
  public var learnt: [LedgerEntry]
}

/// What one admission did: the entries appended (as read back from the file) and the ones
/// refused, each with its reason.
public struct Admission: Sendable {
  public var appended: [LedgerEntry]
  public var refused: [(entry: Entry, reason: String)]

  public init(appended: [LedgerEntry], refused: [(entry: Entry, reason: String)]) {
    self.appended = appended
    self.refused = refused
  }
}

extension LockedLedger {
  /// Verifies and audits the whole file; a torn tail (an append killed midway) is cut when
  /// `repairing`, else refused. The accepted entries after seq `since` are collected.
  public func audited(since: Int64 = .max, repairing: Bool) throws(LedgerError) -> AuditedLedger {
    var fold = LedgerFold()
    var learnt: [LedgerEntry] = []
    var tail = LedgerVerifier.Tail.clean
    let state = try LedgerVerifier.readVerified(
      path: path, tail: &tail,
      each: { line in
        for e in fold.take(line) where e.seq > since { learnt.append(e) }
      }, excluded: { fold.exclude($0) })
    var repaired = 0
    if case .torn(let count, let line, let reason) = tail {
      guard repairing else { throw LedgerError(line: line, "\(reason) — nothing appended") }
      try truncate(to: state.offset)
      repaired = count
    }
    return AuditedLedger(state: state, fold: fold, repairedBytes: repaired, learnt: learnt)
  }

  /// The one admission step, the same for a terminal's sync and HQ's commands: the signer must be
  /// registered with exactly this key (or be HQ with the header's key) and the batch its own;
  /// then each entry is audited in order (what passes is seen by the next), the admitted ones are
  /// appended with a seal and fsynced, and read back from the file. Nothing refused is written.
  public func admit(
    _ entries: [Entry], to ledger: inout AuditedLedger, signer: String, key: LedgerKey, at: UTCInstant,
    allOrNothing: Bool = false
  ) throws(LedgerError) -> Admission {
    guard !entries.isEmpty else { return Admission(appended: [], refused: []) }
    guard let hqKey = ledger.state.hqKey else { throw LedgerError(line: 0, "\(path) has no header") }
    if let problem = LedgerVerifier.signerProblem(
      signer, key: key.publicKeyBase64, batch: entries.map { LedgerEntry($0) }, hqKey: hqKey,
      terminals: ledger.state.terminals)
    {
      throw LedgerError(line: 0, "nothing appended to \(path): \(problem.reason)")
    }
    var admitted: [Entry] = []
    var refused: [(entry: Entry, reason: String)] = []
    // In place (a copy of the fold would copy every account): on a throw the caller drops it.
    for e in entries {
      let seq = ledger.state.lastSeq + Int64(admitted.count) + 1
      if let reason = ledger.fold.admit(e, seq: seq, signer: signer, sealedAt: at) {
        refused.append((e, reason))
      } else {
        admitted.append(e)
      }
    }
    if allOrNothing, let first = refused.first {
      throw LedgerError(line: 0, "nothing appended to \(path): entry \(first.entry.id) is refused: \(first.reason)")
    }
    guard !admitted.isEmpty else { return Admission(appended: [], refused: refused) }
    let before = ledger.state
    let written = try append(admitted.map { LedgerEntry($0) }, after: &ledger.state, signer: signer, key: key, at: at)
    ledger.fold.sealed(at: ledger.state.lastSeq, time: at)
    // Read back: what counts as appended is what a verified read of the file gives.
    var check = before
    var tail = LedgerVerifier.Tail.clean
    let back = try LedgerVerifier().advance(&check, over: try read(from: before.offset)[...], tail: &tail)
    guard back == written, check.head == ledger.state.head else {
      throw LedgerError(line: before.lines + 1, "\(path) does not read back what was appended")
    }
    return Admission(appended: written.filter { $0.kind != .seal }, refused: refused)
  }
}

extension LedgerFold {
  /// Audits one entry of a batch being admitted (its seal not yet written) and applies it when
  /// it passes: the admission's side of `take`.
  mutating func admit(_ e: Entry, seq: Int64, signer: String, sealedAt: UTCInstant) -> String? {
    audit.take(e, seq: seq, signer: signer, sealedAt: sealedAt)
  }

  mutating func sealed(at seq: Int64, time: UTCInstant) { audit.sealed(at: seq, time: time) }
}
