import Foundation
import HQBackOffice
import LoyaltyCore

/// HQ's fraud findings as `ledger findings` prints them: a line per finding with its entries
/// indented under it, then the thresholds; and as JSON, an object with a `findings` array. No
/// full card number in either: the findings hold cards masked.
enum FraudFindingsText {
  /// "F-0a1b2c3d4e5f  cardOnManyBaskets  T01  card ****1234 earned 12 times …", then its entries.
  static func text(_ r: FraudFindings, ledger: String) -> String {
    var text = "findings in \(ledger)\(period(r)): \(r.findings.count)"
    for f in r.findings {
      text += "\n\(f.id)  \(f.kind.rawValue)  \(f.terminals.joined(separator: ","))  \(f.summary)"
      for e in f.entries { text += "\n    seq \(e.seq)  \(e.at)  \(e.kind.rawValue)  \(e.terminal)  \(e.id)" }
    }
    text += "\nthresholds (the program's fraud object): "
    text += r.thresholds.named.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
    return text
  }

  /// ", from 2026-11-01T00:00:00Z until 2026-12-01T00:00:00Z", or nothing for the whole ledger.
  static func period(_ r: FraudFindings) -> String {
    (r.from.map { ", from \($0)" } ?? "") + (r.until.map { " until \($0)" } ?? "")
  }

  /// `{"findings": [...], "from", "until", "thresholds"}`.
  static func object(_ r: FraudFindings) -> [String: Any] {
    [
      "findings": r.findings.map(object),
      "from": r.from?.description ?? NSNull(), "until": r.until?.description ?? NSNull(),
      "thresholds": Dictionary(uniqueKeysWithValues: r.thresholds.named.map { ($0.name, $0.value) }),
    ]
  }

  /// A finding's fields; its entries as `{seq, id, kind, terminal, at}`.
  static func object(_ f: FraudFinding) -> [String: Any] {
    [
      "id": f.id, "kind": f.kind.rawValue, "account": f.account ?? NSNull(), "card": f.card ?? NSNull(),
      "terminals": f.terminals, "summary": f.summary,
      "entries": f.entries.map {
        ["seq": $0.seq, "id": $0.id, "kind": $0.kind.rawValue, "terminal": $0.terminal, "at": $0.at.description]
          as [String: Any]
      },
    ]
  }
}
