import Foundation
import LoyaltyCore

/// Plain-text accounting exports of the points ledger: one `PTS` commodity, one account per
/// cardholder, every points entry a balanced transaction against the points issued.
public enum LedgerExport {
  public enum Format: String, CaseIterable, Sendable { case hledger, beancount }

  public static func export(path: String, format: Format) throws(LedgerError) -> String {
    // Only what the audit accepts: a refused or excluded entry is in no reader's books.
    var entries: [LedgerEntry] = []
    var fold = LedgerFold()
    _ = try LedgerVerifier.readVerified(
      path: path,
      each: { line in
        for e in fold.take(line) where (e.points ?? 0) != 0 && e.account != nil { entries.append(e) }
      })
    switch format {
    case .hledger: return hledger(entries)
    case .beancount: return beancount(entries)
    }
  }

  static func date(_ t: UTCInstant) -> String { String(t.description.prefix(10)) }

  /// A description safe in both formats: letters, digits and a few marks.
  static func safe(_ s: String) -> String {
    String(
      s.unicodeScalars.map {
        CharacterSet.alphanumerics.contains($0) || "-_./:".unicodeScalars.contains($0) ? Character($0) : "_"
      })
  }

  static func hledger(_ entries: [LedgerEntry]) -> String {
    var out =
      "; loyalty ledger export (hledger); balances equal `loyalty-terminal ledger balances`\ncommodity 1. PTS\n\n"
    for e in entries {
      let points = e.points!
      out +=
        "\(date(e.at)) \(e.kind.rawValue) \(safe(e.receipt ?? e.id))  ; id:\(safe(e.id)), terminal:\(safe(e.terminal))\n"
      out += "    points:customers:\(e.account!)  \(points) PTS\n"
      out += "    points:issued  \(-points) PTS\n\n"
    }
    return out
  }

  static func beancountAccount(_ account: String) -> String {
    "Liabilities:Points:Customers:" + (account.prefix(1).uppercased() + account.dropFirst())
  }

  static func beancount(_ entries: [LedgerEntry]) -> String {
    var out =
      "; loyalty ledger export (beancount); balances equal `loyalty-terminal ledger balances`\noption \"operating_currency\" \"PTS\"\n"
    let opened = date(entries.map(\.at).min() ?? UTCInstant(seconds: 0))
    out += "\(opened) commodity PTS\n\(opened) open Equity:Points:Issued PTS\n"
    for account in Set(entries.map { $0.account! }).sorted() {
      out += "\(opened) open \(beancountAccount(account)) PTS\n"
    }
    out += "\n"
    for e in entries {
      let points = e.points!
      out += "\(date(e.at)) * \"\(e.kind.rawValue) \(safe(e.receipt ?? e.id))\"\n"
      out += "  id: \"\(safe(e.id))\"\n"
      out += "  \(beancountAccount(e.account!))  \(points) PTS\n"
      out += "  Equity:Points:Issued  \(-points) PTS\n\n"
    }
    return out
  }
}
