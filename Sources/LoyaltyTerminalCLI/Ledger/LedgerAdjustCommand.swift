import ArgumentParser
import Ledger

/// `loyalty-terminal ledger adjust ACCOUNT POINTS --reason TEXT`: an HQ correction.
struct LedgerAdjustCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adjust", abstract: "Credit (positive) or debit (negative) an account, with a reason.")

  @Argument(help: "The account id (acct-…).")
  var account: String

  @Argument(help: "Points, signed.")
  var points: Int64

  @Option(help: "Why (kept in the ledger).")
  var reason: String

  @OptionGroup var hq: HQOptions

  func validate() throws {
    guard points != 0 else { throw ValidationError("POINTS must not be 0") }
    guard account.hasPrefix("acct-") else { throw ValidationError("ACCOUNT must be an account id (acct-…)") }
    guard !reason.isEmpty, reason.count <= 200 else { throw ValidationError("--reason must be 1-200 characters") }
  }

  func run() throws {
    try reportLedger(json: hq.json) {
      let written = try hq.append([
        LedgerEntry(
          kind: .adjustment, id: "adjust-\(account)-\(hq.time.seconds)", at: hq.time, terminal: "HQ", account: account,
          points: points, data: reason)
      ])
      return (
        "adjusted \(account) by \(points) at seq \(written[0].seq)",
        ["account": account, "points": points, "seq": written[0].seq]
      )
    }
  }
}
