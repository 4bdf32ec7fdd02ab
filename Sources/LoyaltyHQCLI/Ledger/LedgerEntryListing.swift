import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// Ledger entries as HQ's operator reads them — an account's history, what a dry run would
/// append — a line of text each, or a JSON object with the entry's fields.
enum LedgerEntryListing {
  /// "2026-11-02T09:15:00Z  earn  +20  T01  card 6280…  receipt T01-R1" (`seq`: "seq 41  " first).
  /// Amounts are said in `program`'s currency when it is the entry's.
  static func line(_ e: LedgerEntry, seq: Bool = false, program: LoyaltyProgram? = nil) -> String {
    var parts = [e.at.description, e.kind.rawValue, signed(e.points ?? 0), e.terminal]
    if seq { parts.insert("seq \(e.seq)", at: 0) }
    if e.kind == .adjustment || e.kind == .expiry, let account = e.account, seq { parts.append(account) }
    if let card = e.card { parts.append("card \(card)") }
    if let receipt = e.receipt { parts.append("receipt \(receipt)") }
    if let amount = e.amount {
      if let program, e.currency == program.currency {
        parts.append("amount \(program.money(amount))")
      } else {
        parts.append("amount \(amount) minor units\(e.currency.map { " of \($0)" } ?? "")")
      }
    }
    if let d = detail(e) { parts.append("\(d.name == "withCard" ? "with card" : d.name) \(d.value)") }
    // A registration names its public key: what an operator passes to `register-terminal` again
    // after a restore lost it.
    if e.kind == .terminalRegister, let key = e.data { parts.append("key \(key)") }
    if e.entry.isProvisional { parts.append("(provisional)") }
    return parts.joined(separator: "  ")
  }

  /// The entry's fields, as JSON.
  static func object(_ e: LedgerEntry) -> [String: Any] {
    var o: [String: Any] = [
      "seq": e.seq, "id": e.id, "kind": e.kind.rawValue, "at": e.at.description, "terminal": e.terminal,
      "points": e.points ?? 0,
    ]
    if let v = e.account { o["account"] = v }
    if let v = e.card { o["card"] = v }
    if let v = e.receipt { o["receipt"] = v }
    if let v = e.amount { o["amount"] = v }
    if let v = e.currency { o["currency"] = v }
    if let v = e.ref { o["ref"] = v }
    if let d = detail(e) { o[d.name] = d.value }
    if e.kind == .terminalRegister, let key = e.data { o["publicKey"] = key }
    if e.entry.isProvisional { o["provisional"] = true }
    return o
  }

  /// "+20", "-5", "0".
  static func signed(_ points: Int64) -> String { points > 0 ? "+\(points)" : "\(points)" }

  /// "1 point", "20 points".
  static func points(_ n: Int64) -> String { n == 1 || n == -1 ? "\(n) point" : "\(n) points" }

  /// "1 customer", "3 customers": `n` and the noun, plural unless `n` is ±1.
  static func count<N: BinaryInteger>(_ n: N, _ noun: String, plural: String? = nil) -> String {
    "\(n) " + (n == 1 || n == -1 ? noun : plural ?? noun + "s")
  }

  /// "1 entry", "3 entries".
  static func entries(_ n: Int) -> String { n == 1 ? "1 entry" : "\(n) entries" }

  /// What the entry's `data` or `ref` says, named for its kind: a redemption's item, an
  /// adjustment's reason, a link's existing card, an enrolment's referrer, the terminal HQ
  /// registered or revoked, a program's version.
  static func detail(_ e: LedgerEntry) -> (name: String, value: String)? {
    switch e.kind {
    case .redeem: e.data.map { ("item", $0) }
    case .adjustment: e.data.map { ("reason", $0) }
    case .link: e.ref.map { ("withCard", $0) }
    case .enroll: e.ref.map { ("referrer", $0) }
    case .referralBonus: e.ref.map { ("referral", $0) }
    case .terminalRegister, .terminalRevoke: e.ref.map { ("terminal", $0) }
    case .program:
      e.data.flatMap { try? ProgramParser.parse(Data($0.utf8)) }.map { ("version", "\($0.version)") }
    default: nil
    }
  }

  /// What a dry run prints: the entries that would be appended, nothing appended.
  static func dryRun(_ entries: [LedgerEntry], summary: String, object: [String: Any]) -> (
    text: String, object: [String: Any]
  ) {
    var text = "dry run, nothing appended: \(summary); would append \(Self.entries(entries.count))"
    text += entries.isEmpty ? "" : ":\n  " + entries.map { line($0, seq: true) }.joined(separator: "\n  ")
    var o = object
    o["dryRun"] = true
    o["entries"] = entries.map(Self.object)
    return (text, o)
  }
}
