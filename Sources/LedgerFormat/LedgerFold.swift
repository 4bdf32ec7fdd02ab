import Foundation
import LoyaltyCore

/// Every account as the ledger says: each sealed batch audited and folded by the core's
/// `AuditReplay`, so HQ, every terminal and an auditor get the same numbers and leave out the
/// same entries — a batch whose seal is not a registered writer's, an entry whose re-derivation
/// fails — each listed with its reason, none a halt.
public struct LedgerFold: Sendable {
  public typealias Account = AccountState

  public package(set) var audit = AuditReplay()
  /// Where each account was last active (what draws the regions of partial replicas).
  public private(set) var activity = ShopActivity()
  /// Sealed batches left out whole (their seal is not a valid one by a registered writer).
  public private(set) var exclusions: [LedgerVerifier.Exclusion] = []
  private var batch: [LedgerEntry] = []

  public init() {}

  /// Reads, verifies, audits and folds a ledger file as it streams by.
  /// `sealedOnly`: an incomplete tail (an append killed midway, which no reader folds and the next
  /// writer cuts) is passed over instead of refused — what HQ's commands that then append (expiry,
  /// settlement) and its balances read; `ledger verify` keeps refusing it.
  public static func fold(path: String, sealedOnly: Bool = false) throws(LedgerError) -> (
    LedgerFold, LedgerVerifier.Summary
  ) {
    var fold = LedgerFold()
    var tail = LedgerVerifier.Tail.clean
    let state = try LedgerVerifier.readVerified(
      path: path, tail: &tail, each: { fold.take($0) { _ in } }, excluded: { fold.exclude($0) })
    if !sealedOnly, case .torn(_, let line, let reason) = tail { throw LedgerError(line: line, reason) }
    return (fold, LedgerVerifier.Summary(state))
  }

  /// Takes the next line of a sealed batch, as the verifier hands them over (entries, then their
  /// seal). At the seal the batch is audited; returns the entries it accepted (none before).
  @discardableResult
  public mutating func take(_ line: LedgerEntry) -> [LedgerEntry] {
    var accepted: [LedgerEntry] = []
    take(line) { accepted.append($0) }
    return accepted
  }

  /// `take`, handing each accepted entry to `accepted` instead of collecting them.
  public mutating func take(_ line: LedgerEntry, accepted: (LedgerEntry) -> Void) {
    guard line.kind == .seal else {
      batch.append(line)
      return
    }
    for e in batch where audit.take(e.entry, seq: e.seq, signer: line.terminal, sealedAt: line.at) == nil {
      activity.note(e.entry)
      accepted(e)
    }
    audit.sealed(at: line.seq, time: line.at, by: line.terminal)
    activity.sealed(at: line.at)
    batch.removeAll(keepingCapacity: true)
  }

  /// Audits one entry of a batch being admitted (its seal not yet written) and applies it when
  /// it passes: the admission's side of `take` (`LedgerStore`). Returns why it is refused, or nil.
  package mutating func admit(_ e: Entry, seq: Int64, signer: String, sealedAt: UTCInstant) -> String? {
    let refusal = audit.take(e, seq: seq, signer: signer, sealedAt: sealedAt, recording: false)
    if refusal == nil { activity.note(e) }
    return refusal
  }

  /// The admission's seal, written: the audit's and the ledger's day move as at `take`'s seal.
  package mutating func sealed(at seq: Int64, time: UTCInstant, by signer: String) {
    audit.sealed(at: seq, time: time, by: signer)
    activity.sealed(at: time)
  }

  /// Notes a batch the verifier left out. Its seal stays a valid basis: a terminal's checkpoint
  /// moves past it, and what it decides there is decided on the same accounts.
  public mutating func exclude(_ exclusion: LedgerVerifier.Exclusion) {
    exclusions.append(exclusion)
    audit.leftOut(sealedAt: exclusion.sealSeq)
  }

  public var accounts: [String: AccountState] { audit.accounts }
  /// The latest published program (its expiry days drive the lots).
  public var program: LoyaltyProgram? { audit.program }
  /// The program entry's JSON text, as published.
  public var programJSON: String? { audit.programs.last?.json }
  public var firstDate: UTCInstant? { audit.firstDate }

  /// Entries the audit refused, by id, with the reason: left out of every fold alike.
  public var refused: [EntryRefusal] {
    audit.refusals.map { EntryRefusal(id: $0.id, reason: "\($0.terminal), seq \($0.seq): \($0.reason)") }
  }

  /// What the fold leaves out, a line each, in words: batches whose seal is not a registered
  /// writer's, then entries the audit refused — after seq `after` (0: all), leaving out
  /// `terminal`'s own entries when given (a sync lists those as "refused by HQ").
  public func leftOut(after seq: Int64 = 0, except terminal: String? = nil) -> [String] {
    leftOutRecords(after: seq, except: terminal).map { r in
      if let lines = r["lines"] {
        return
          "lines \(lines): a batch of \(r["entries"] ?? "?") sealed by \(r["signer"] ?? "?") is left out: \(r["reason"] ?? "")"
      }
      return
        "seq \(r["seq"] ?? "?"): entry \(r["id"] ?? "?") of \(r["terminal"] ?? "?") is left out: \(r["reason"] ?? "")"
    }
  }

  /// `leftOut`'s reasons as records: `lines` (a batch's `first-seal`) or `seq`, `id` and
  /// `terminal` (an entry), `signer` and `entries` (a batch), and `reason`.
  public func leftOutRecords(after seq: Int64 = 0, except terminal: String? = nil) -> [[String: String]] {
    var out: [[String: String]] = []
    for x in exclusions where x.sealSeq > seq {
      out.append([
        "lines": "\(x.firstLine)-\(x.sealLine)", "signer": x.signer, "entries": "\(x.entries)", "reason": x.reason,
      ])
    }
    for r in audit.refusals where r.seq > seq && r.terminal != terminal {
      out.append(["seq": "\(r.seq)", "id": r.id, "terminal": r.terminal, "reason": r.reason])
    }
    return out
  }

  /// Every receipt of every account, by id.
  public var receipts: [String: Receipt] {
    var out: [String: Receipt] = [:]
    for account in accounts.values { out.merge(account.receipts) { first, _ in first } }
    return out
  }

  /// Balances by account, sorted by account id.
  public var balances: [(account: String, balance: Int64)] {
    accounts.map { (account: $0.key, balance: $0.value.balance) }.sorted { $0.account < $1.account }
  }

  /// Every account's balance and, of it, the points still pending at `t` (purchases inside their
  /// return window: the one of the version each was made under, the latest program's for those
  /// recorded without one), by account id.
  public func balances(at t: UTCInstant) -> [(account: String, balance: Int64, pending: Int64)] {
    let legacy = program?.pendingDays ?? 0
    return accounts.map {
      (account: $0.key, balance: $0.value.balance, pending: $0.value.pending(at: t, legacyPendingDays: legacy))
    }
    .sorted { $0.account < $1.account }
  }
}
