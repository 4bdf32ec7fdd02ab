import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger balances`: every account's points, folded from the verified ledger,
/// with the points still pending through the return window.
struct LedgerBalancesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "balances",
    abstract: "Verify the ledger and print every account's balance (and what of it is still pending).")

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "Pending points as of this time (UTC, 2026-11-02T09:15:00Z); default now.")
  var asOf: UTCInstant?

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    let t = asOf ?? .wallClock
    try reportLedger(json: json) {
      let (fold, _) = try LedgerFold.fold(path: ledger, sealedOnly: true)
      let rows = fold.balances(at: t)
      // "acct-…  120  (80 available, 40 pending until the return window closes)"
      let lines = rows.map {
        "\($0.account)  \($0.balance)"
          + ($0.pending > 0 ? "  (\($0.balance - $0.pending) available, \($0.pending) pending)" : "")
      }
      return (
        lines.isEmpty ? "no accounts" : lines.joined(separator: "\n"),
        [
          "balances": Dictionary(uniqueKeysWithValues: rows.map { ($0.account, $0.balance) }),
          "pending": Dictionary(uniqueKeysWithValues: rows.filter { $0.pending > 0 }.map { ($0.account, $0.pending) }),
          "asOf": t.description,
        ]
      )
    }
  }
}
