import ArgumentParser
import Ledger

extension LedgerExport.Format: ExpressibleByArgument {}

/// `loyalty-terminal ledger export --format hledger|beancount`: the points as a journal.
struct LedgerExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export", abstract: "Write the verified ledger as an hledger or beancount journal (one PTS commodity)."
  )

  @Option(help: "The ledger file.")
  var ledger: String

  @Option(help: "hledger or beancount.")
  var format: LedgerExport.Format

  func run() throws {
    try reportLedger(json: false) {
      let text = try LedgerExport.export(path: ledger, format: format)
      return (text, [:])
    }
  }
}
