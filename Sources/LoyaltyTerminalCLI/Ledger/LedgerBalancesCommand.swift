import ArgumentParser
import Ledger

/// `loyalty-terminal ledger balances`: every account's points, folded from the verified ledger.
struct LedgerBalancesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "balances", abstract: "Verify the ledger and print every account's balance.")

  @Option(help: "The ledger file.")
  var ledger: String

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    try reportLedger(json: json) {
      let (fold, _) = try LedgerFold.fold(path: ledger)
      let lines = fold.balances.map { "\($0.account)  \($0.balance)" }
      return (
        lines.isEmpty ? "no accounts" : lines.joined(separator: "\n"),
        ["balances": Dictionary(uniqueKeysWithValues: fold.balances.map { ($0.account, $0.balance) })]
      )
    }
  }
}
