import Foundation
import LedgerFormat
import LoyaltyCore

extension RefusalLog {
  /// One entry the admission refused, as its line in `LEDGER.refusals` records it.
  public struct Record: Hashable, Sendable {
    /// When the batch was refused (the batch's time).
    public var at: UTCInstant?
    /// The terminal whose batch it was ("HQ" for HQ's own commands).
    public var terminal: String
    public var id: String
    public var kind: String
    public var reason: String
    /// The account and points the entry would have moved, when it concerns an account.
    public var account: String?
    public var points: Int64?
  }

  /// Every refusal recorded, oldest first; lines that do not parse (one being written while this
  /// reads, without the lock) are passed over. No file: none.
  public func records() -> [Record] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return data.split(separator: 0x0A).compactMap { line in
      guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: String] else { return nil }
      return Record(
        at: o["at"].flatMap { UTCInstant(parsing: $0) }, terminal: o["terminal"] ?? "?", id: o["id"] ?? "?",
        kind: o["kind"] ?? "?", reason: o["reason"] ?? "?", account: o["account"],
        points: o["points"].flatMap { Int64($0) })
    }
  }

  /// How many entries of each terminal were refused and when the last was. The line HQ writes
  /// for "N more entries of this batch refused" counts as N.
  public func countsByTerminal() -> [String: (count: Int, last: UTCInstant?)] {
    var out: [String: (count: Int, last: UTCInstant?)] = [:]
    for r in records() {
      var n = 1
      if r.id == "…", let more = Int(r.reason.prefix { $0.isNumber }) { n = more }
      let before = out[r.terminal] ?? (0, nil)
      out[r.terminal] = (before.count + n, max(before.last, r.at))
    }
    return out
  }
}

private func max(_ a: UTCInstant?, _ b: UTCInstant?) -> UTCInstant? {
  guard let a else { return b }
  guard let b else { return a }
  return Swift.max(a, b)
}
