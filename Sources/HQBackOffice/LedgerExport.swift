import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore

/// Plain-text accounting exports of the points ledger: one `PTS` commodity, one liability account
/// per cardholder, every points entry a balanced transaction.
///
/// Points owed to customers are a liability, so they follow the accountants' signs: an earn (a
/// referral bonus, a positive adjustment) **credits** the customer's liability account (a negative
/// amount) against `expenses:loyalty:points`; a redemption **debits** it (a positive amount)
/// against `income:loyalty:redemptions`; an expiry debits it against `income:loyalty:breakage`.
/// A customer's balance in `ledger balances` is the negative of the account's balance here.
public enum LedgerExport {
  public enum Format: String, CaseIterable, Sendable { case hledger, beancount }

  /// The journal; an earn with a return window (`ReturnWindow`: the `pendingDays` of the version
  /// it was made under, the latest program's for one recorded without) is posted to the account's
  /// `pending` sub-account and moved to the account when its window closes (if that is by
  /// `asOf`); a reversal inside the window takes them from `pending`.
  public static func export(path: String, format: Format, asOf: UTCInstant? = nil) throws(LedgerError) -> String {
    // Only what the audit accepts: a refused or excluded entry is in no reader's books.
    var entries: [LedgerEntry] = []
    var fold = LedgerFold()
    _ = try LedgerVerifier.readVerified(
      path: path,
      each: { line in
        for e in fold.take(line) where (e.points ?? 0) != 0 && e.account != nil { entries.append(e) }
      })
    var names: [String: String] = [:]
    for p in fold.audit.programs { for item in p.program.catalogue { names[item.id] = item.name } }
    let postings = postings(
      entries, legacyPendingDays: fold.program?.pendingDays ?? 0, asOf: asOf, itemNames: names)
    switch format {
    case .hledger: return hledger(postings)
    case .beancount: return beancount(postings)
    }
  }

  /// One transaction of the export: `points` owed to the customer (or to its pending part), and
  /// the other leg's kind.
  struct Posting {
    var at: UTCInstant
    var title: String
    var id: String
    var terminal: String
    var account: String
    var points: Int64
    var pending: Bool
    /// A move from the pending part to the account (the other leg), not against the points issued.
    var release = false
    var kind: Entry.Kind = .earn

    /// The other leg's account: what the points cost (issued), settled (redeemed) or left
    /// (expired), by the books' column of the entry's kind, under the shop that wrote it
    /// (`expenses:loyalty:points:T01`): finance charges the points a shop issues to that shop, and
    /// the parent account is the chain's total.
    var contra: (hledger: String, beancount: String) {
      let (hledger, beancount) =
        switch kind.bookColumn {
        case .redeemed: ("income:loyalty:redemptions", "Income:Loyalty:Redemptions")
        case .expired: ("income:loyalty:breakage", "Income:Loyalty:Breakage")
        case .issued, .reversed, .adjusted, nil: ("expenses:loyalty:points", "Expenses:Loyalty:Points")
        }
      return (hledger + ":" + terminal, beancount + ":" + LedgerExport.beancountComponent(terminal))
    }
  }

  /// The postings of `entries`; a redemption is described by its item's name in `itemNames`.
  static func postings(
    _ entries: [LedgerEntry], legacyPendingDays: Int, asOf: UTCInstant?, itemNames: [String: String] = [:]
  ) -> [Posting] {
    var out: [Posting] = []
    // Receipts still pending: their account, the window's close, the points left pending.
    var held: [String: (account: String, closes: UTCInstant, points: Int64)] = [:]
    for e in entries {
      let points = e.points!
      var pending = false
      if let receipt = e.receipt {
        if e.kind == .earn, points > 0,
          let closes = ReturnWindow.closes(purchasedAt: e.at, pendingDays: e.pendingDays, legacy: legacyPendingDays)
        {
          held[receipt] = (e.account!, closes, points)
          pending = true
        } else if e.kind == .reversal, let h = held[receipt], e.at < h.closes {
          held[receipt]?.points = max(0, h.points + points)
          pending = true
        }
      }
      var title = "\(e.kind.rawValue) \(safe(e.receipt ?? e.id))"
      if e.kind == .redeem, let item = e.data { title = "redeem \(text(itemNames[item] ?? item))" }
      out.append(
        Posting(
          at: e.at, title: title, id: safe(e.id), terminal: safe(e.terminal), account: e.account!, points: points,
          pending: pending, kind: e.kind))
    }
    for (receipt, h) in held.sorted(by: { ($0.value.closes, $0.key) < ($1.value.closes, $1.key) }) where h.points > 0 {
      guard asOf.map({ h.closes <= $0 }) ?? true else { continue }
      out.append(
        Posting(
          at: h.closes, title: "return window closed \(safe(receipt))", id: "release-\(safe(receipt))",
          terminal: Entry.hq, account: h.account, points: h.points, pending: false, release: true))
    }
    return out
  }

  /// A description safe in both formats: letters, digits and a few marks.
  static func safe(_ s: String) -> String {
    String(
      s.unicodeScalars.map {
        CharacterSet.alphanumerics.contains($0) || "-_./:".unicodeScalars.contains($0) ? Character($0) : "_"
      })
  }

  /// A description with words: `safe`'s characters and spaces.
  static func text(_ s: String) -> String {
    String(
      s.unicodeScalars.map {
        CharacterSet.alphanumerics.contains($0) || " -_./:".unicodeScalars.contains($0) ? Character($0) : "_"
      })
  }

  static func hledger(_ postings: [Posting]) -> String {
    var out =
      "; loyalty ledger export (hledger); customers' balances are `loyalty-hq ledger balances`, as credits\n"
      + "commodity 1. PTS\n\n"
    for p in postings {
      let customer = "liabilities:points:customers:\(p.account)"
      out += "\(p.at.date) \(p.title)  ; id:\(p.id), terminal:\(p.terminal)\n"
      out += "    \(customer)\(p.pending ? ":pending" : "")  \(-p.points) PTS\n"
      out += "    \(p.release ? customer + ":pending" : p.contra.hledger)  \(p.points) PTS\n\n"
    }
    return out
  }

  /// A terminal id as a beancount account component: a capital first, `_` written `-` (beancount
  /// takes letters, digits and dashes only).
  static func beancountComponent(_ terminal: String) -> String {
    let dashed = String(terminal.map { $0 == "_" ? "-" : $0 })
    return dashed.prefix(1).uppercased() + dashed.dropFirst()
  }

  static func beancountAccount(_ account: String, pending: Bool = false) -> String {
    "Liabilities:Points:Customers:" + (account.prefix(1).uppercased() + account.dropFirst())
      + (pending ? ":Pending" : "")
  }

  static func beancount(_ postings: [Posting]) -> String {
    var out =
      "; loyalty ledger export (beancount); customers' balances are `loyalty-hq ledger balances`, as credits\n"
      + "option \"operating_currency\" \"PTS\"\n"
    let opened = (postings.map(\.at).min() ?? UTCInstant(seconds: 0)).date
    out += "\(opened) commodity PTS\n"
    var accounts = Set(postings.map { beancountAccount($0.account) })
    for p in postings where !p.release { accounts.insert(p.contra.beancount) }
    for p in postings where p.pending || p.release { accounts.insert(beancountAccount(p.account, pending: true)) }
    for account in accounts.sorted() { out += "\(opened) open \(account) PTS\n" }
    out += "\n"
    for p in postings {
      out += "\(p.at.date) * \"\(p.title)\"\n"
      out += "  id: \"\(p.id)\"\n"
      out += "  \(beancountAccount(p.account, pending: p.pending))  \(-p.points) PTS\n"
      out += "  \(p.release ? beancountAccount(p.account, pending: true) : p.contra.beancount)  \(p.points) PTS\n\n"
    }
    return out
  }
}
