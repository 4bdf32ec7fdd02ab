import ArgumentParser
import Ledger
import LoyaltyCore

/// `loyalty-terminal ledger expire --as-of TIME`: expires lots past their date, as one HQ batch.
struct LedgerExpireCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "expire",
    abstract: "Append expiry entries for every lot expired at --as-of (the engine's lot arithmetic).")

  @Option(help: "Expire lots whose expiry is at or before this UTC time.")
  var asOf: UTCInstant

  @OptionGroup var hq: HQOptions

  func run() throws {
    try reportLedger(json: hq.json) {
      let cutoff = asOf
      let (fold, _) = try LedgerFold.fold(path: hq.ledger, sealedOnly: true)
      let entries = LedgerExpiry.entries(for: fold, asOf: cutoff)
      _ = try hq.append(entries)
      let total = entries.reduce(0) { $0 - ($1.points ?? 0) }
      return (
        "expired \(total) points in \(entries.count) accounts as of \(cutoff)",
        ["accounts": entries.count, "points": total]
      )
    }
  }
}
