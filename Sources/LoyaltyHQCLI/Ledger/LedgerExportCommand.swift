import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

extension LedgerExport.Format: ExpressibleByArgument {}

/// `loyalty-hq ledger export --format hledger|beancount`: the points as a journal.
struct LedgerExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export", abstract: "Write the verified ledger as an hledger or beancount journal (one PTS commodity)."
  )

  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "hledger or beancount.")
  var format: LedgerExport.Format

  @Option(
    help:
      "With a program's pendingDays: return windows closed by this time (UTC) move their points out of `pending`; default now."
  )
  var asOf: UTCInstant?

  func run() throws {
    let t = asOf ?? .wallClock
    try reportLedger(json: false) {
      let text = try LedgerExport.export(path: ledger, format: format, asOf: t)
      return (text, [:])
    }
  }
}
