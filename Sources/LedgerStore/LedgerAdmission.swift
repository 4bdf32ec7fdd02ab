import Foundation
import LedgerFormat
import LocalFiles
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

/// What one admission or submission did — the one result of HQ's side: the entries appended (as
/// read back from the file), the ids the ledger already held (a submission's: an earlier attempt
/// whose answer was lost, or the same once-only event another counter recorded first — an
/// enrolment of the same card whatever its referrer), and the ones refused, each with its reason.
/// The wire's `SubmissionAnswer` is this, by id.
public struct Admission: Sendable {
  public var appended: [LedgerEntry]
  public var held: [String]
  public var refused: [(entry: Entry, reason: String)]
  /// Why the refused entries could not be recorded in the refusal log (`RefusalLog`), or nil:
  /// for the caller to say (the admission does not depend on the log).
  public var refusalLogProblem: String?

  public init(
    appended: [LedgerEntry], held: [String] = [], refused: [(entry: Entry, reason: String)],
    refusalLogProblem: String? = nil
  ) {
    self.appended = appended
    self.held = held
    self.refused = refused
    self.refusalLogProblem = refusalLogProblem
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
    now: UTCInstant? = nil, allOrNothing: Bool = false
  ) throws(LedgerError) -> Admission {
    guard !entries.isEmpty else { return Admission(appended: [], refused: []) }
    // A seal dated ahead of this machine's clock is a wrong clock or a mistyped --at: nothing
    // appended, the entries stay in the outbox for the next sync.
    if let now, at > now.adding(days: 1) {
      throw LedgerError(
        line: 0,
        "nothing appended to \(path): the sync's time \(at) is more than a day ahead of this machine's clock (\(now)); "
          + "check the clock or --at")
    }
    guard Decisions.Bounds.times.contains(at) else {
      throw LedgerError(line: 0, "nothing appended to \(path): the batch's time \(at) is outside 2000…2100")
    }
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
    let logProblem = refused.isEmpty ? nil : RefusalLog(ledger: path).record(refused, signer: signer, at: at)
    guard !admitted.isEmpty else {
      return Admission(appended: [], refused: refused, refusalLogProblem: logProblem)
    }
    let before = ledger.state
    let written = try append(admitted.map { LedgerEntry($0) }, after: &ledger.state, signer: signer, key: key, at: at)
    ledger.fold.sealed(at: ledger.state.lastSeq, time: at, by: signer)
    // Read back: what counts as appended is what a verified read of the file gives.
    var check = before
    var tail = LedgerVerifier.Tail.clean
    let back = try LedgerVerifier().advance(&check, over: try read(from: before.offset)[...], tail: &tail)
    guard back == written, check.head == ledger.state.head else {
      throw LedgerError(line: before.lines + 1, "\(path) does not read back what was appended")
    }
    return Admission(
      appended: written.filter { $0.kind != .seal }, refused: refused, refusalLogProblem: logProblem)
  }
}

extension AuditedLedger {
  /// Why `signer` may not have `batch` admitted in its name (not registered, revoked, another
  /// writer's entries, kinds a terminal may not write), or nil.
  public func signerProblem(_ signer: String, batch: [Entry]) -> String? {
    guard let hqKey = state.hqKey else { return "the ledger has no header" }
    guard let registered = signer == Entry.hq ? hqKey : state.terminals[signer] else {
      return "terminal \(signer) is not registered (or was revoked)"
    }
    return LedgerVerifier.signerProblem(
      signer, key: registered, batch: batch.map { LedgerEntry($0) }, hqKey: hqKey, terminals: state.terminals)?.reason
  }
}

/// HQ's record of what its admission refused, next to the ledger (`ledger.jsonl.refusals`, one
/// JSON object per line, with the account and points an entry would have moved): the refused
/// entries are never in the ledger, and HQ's report lists them from here. Informational: nothing reads points from it.
public struct RefusalLog: Sendable {
  public let path: String

  public init(ledger: String) { path = ledger + ".refusals" }

  /// Appends one line per refused entry, fsynced, to a log HQ's user alone reads (mode 600). Best
  /// effort, the admission's answer does not depend on it, but said: returns why the lines could
  /// not be written, or nil.
  func record(_ refused: [(entry: Entry, reason: String)], signer: String, at: UTCInstant) -> String? {
    var text = ""
    // At most 100 lines per batch: a stolen key sending batch after batch of refused entries does
    // not fill HQ's disk; the rest is one line.
    for (entry, reason) in refused.prefix(100) {
      var object: [String: String] = [
        "at": at.description, "terminal": signer, "id": entry.id, "kind": entry.kind.rawValue, "reason": reason,
      ]
      if let account = entry.account, entry.kind.concernsAnAccount {
        object["account"] = account
        object["points"] = String(entry.points ?? 0)
      }
      guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { continue }
      text += String(decoding: data, as: UTF8.self) + "\n"
    }
    if refused.count > 100,
      let data = try? JSONSerialization.data(
        withJSONObject: [
          "at": at.description, "terminal": signer, "id": "…", "kind": "…",
          "reason": "\(refused.count - 100) more entries of this batch refused",
        ], options: [.sortedKeys])
    {
      text += String(decoding: data, as: UTF8.self) + "\n"
    }
    do {
      try SystemCall.append(Array(text.utf8), toFileAt: path, sync: true)
      return nil
    } catch {
      return "cannot record \(refused.count) refused entr\(refused.count == 1 ? "y" : "ies") in \(path): \(error)"
    }
  }

  /// The refusals recorded, as lines of text (`terminal id: reason`), oldest first; at most the
  /// last `limit`.
  public func entries(limit: Int = 1_000) -> [String] {
    records(limit: limit).map { o in
      let moved = o["account"].map { " (account \($0), \(o["points"] ?? "0") points)" } ?? ""
      return "\(o["at"] ?? "?") \(o["terminal"] ?? "?") \(o["id"] ?? "?")\(moved): \(o["reason"] ?? "?")"
    }
  }

  /// The refusals recorded, each as its fields (`at`, `terminal`, `id`, `kind`, `reason`, and
  /// `account` and `points` when it moved points), oldest first; at most the last `limit`.
  public func records(limit: Int = 1_000) -> [[String: String]] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return data.split(separator: 0x0A).suffix(limit).compactMap { line in
      try? JSONSerialization.jsonObject(with: Data(line)) as? [String: String]
    }
  }
}
