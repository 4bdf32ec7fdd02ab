import Foundation
import LedgerFormat
import LoyaltyCore

extension LockedLedger {
  /// The one way a terminal's outbox enters the ledger, the same over the file and through
  /// HQ's service: entries the ledger already holds are read back, not sent again (other content
  /// under a held id is refused, with the reason); the rest go to the admission step.
  /// `since` is the byte offset where the terminal's copy of the ledger ends: an id the ledger
  /// holds is looked up from there.
  public func submit(
    _ outbox: [Entry], to ledger: inout AuditedLedger, since: Int, signer: String, key: LedgerKey, at: UTCInstant,
    now: UTCInstant? = nil
  ) throws(LedgerError) -> Admission {
    // Not a local copy of the fold: the admission below mutates it in place.
    let heldIDs = Self.held(outbox, by: ledger.fold)
    var inLedger: [String: Entry] = [:]
    if !heldIDs.isEmpty, since >= 0, since < ledger.state.offset {
      // Rare (a retry, a card enrolled at two counters): read the entries after the terminal's
      // position and keep the ones named.
      let bytes = try self.bytes(at: since, count: ledger.state.offset - since)
      for line in bytes.split(separator: 0x0A) {
        guard let e = try? LedgerLine.parseEntry(line, line: 0), heldIDs.contains(e.id), e.kind != .seal else {
          continue
        }
        inLedger[e.id] = inLedger[e.id] ?? e.entry
      }
    }
    var held: [String] = []
    var toSend: [Entry] = []
    var refused: [(entry: Entry, reason: String)] = []
    for entry in outbox {
      guard heldIDs.contains(entry.id) else {
        toSend.append(entry)
        continue
      }
      if let other = inLedger[entry.id] {
        if other == entry || (other.terminal != signer && Self.sameEvent(other, entry)) {
          held.append(entry.id)
        } else if other.terminal != signer, Self.sameEnrolment(other, entry) {
          // One card enrolled offline at two counters: the first enrolment in the ledger stands,
          // this one is held as it (whatever referrer it names); the terminal takes the standing
          // one at its sync, and its later entries on the card are audited as it decided them.
          held.append(entry.id)
        } else if other.kind == .referralBonus, entry.kind == .referralBonus, other.account != entry.account {
          refused.append(
            (
              entry,
              "the referral of account \(other.ref ?? "?") is the standing enrolment's (from \(other.terminal)): "
                + "its bonus went to account \(other.account ?? "?"), not \(entry.account ?? "?")"
            ))
        } else {
          refused.append((entry, "the ledger holds \(entry.id) from \(other.terminal) with other content"))
        }
      } else {
        held.append(entry.id)  // held since before the terminal's position
      }
    }
    // Refused before the audit (a held id with other content, a contested referral): recorded as
    // the admission's own refusals are, so HQ's report lists them with their points and account.
    var logProblem = refused.isEmpty ? nil : RefusalLog(ledger: path).record(refused, signer: signer, at: at)
    var appended: [LedgerEntry] = []
    if !toSend.isEmpty {
      let result = try admit(toSend, to: &ledger, signer: signer, key: key, at: at, now: now)
      appended = result.appended
      refused += result.refused
      logProblem = logProblem ?? result.refusalLogProblem
    }
    return Admission(appended: appended, held: held, refused: refused, refusalLogProblem: logProblem)
  }

  /// The ids of `outbox` the ledger holds already.
  static func held(_ outbox: [Entry], by fold: LedgerFold) -> Set<String> {
    Set(outbox.filter { fold.audit.contains(id: $0.id) }.map(\.id))
  }

  /// The same enrolment of one card (the same account and card), whatever referrer each names.
  static func sameEnrolment(_ a: Entry, _ b: Entry) -> Bool {
    a.kind == .enroll && b.kind == .enroll && a.account == b.account && a.card == b.card && a.points == b.points
  }

  /// The same once-only event, whoever recorded it.
  static func sameEvent(_ a: Entry, _ b: Entry) -> Bool {
    a.kind == b.kind && a.account == b.account && a.card == b.card && a.points == b.points && a.amount == b.amount
      && a.receipt == b.receipt && a.ref == b.ref
  }
}

extension AuditedLedger {
  /// The checkpoint a terminal at `state` downloads to: the end of the last sealed batch, and
  /// what every reader leaves out after the terminal's position (`except` the terminal's own
  /// refusals, which its sync lists as refused by HQ).
  public func leftOut(after state: LedgerVerifier.State, except terminal: String?) -> (
    seqs: [Int64], reasons: [String]
  ) {
    var seqs: [Int64] = []
    for x in fold.exclusions where x.sealSeq > state.lastSeq {
      seqs += (x.firstSeq...x.sealSeq).filter { $0 > state.lastSeq }
    }
    for r in fold.audit.refusals where r.seq > state.lastSeq { seqs.append(r.seq) }
    return (seqs.sorted(), fold.leftOut(after: state.lastSeq, except: terminal))
  }
}
