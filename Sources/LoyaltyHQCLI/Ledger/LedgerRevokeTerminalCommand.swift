import ArgumentParser
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger revoke-terminal ID`: seals by the terminal's key are rejected after this.
struct LedgerRevokeTerminalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "revoke-terminal", abstract: "Revoke a terminal's key: its later seals are rejected.")

  @Argument(help: "The terminal id.")
  var terminal: String

  @OptionGroup var hq: HQOptions

  func validate() throws { try validateTerminalID(terminal) }

  func run() throws {
    try reportLedger(json: hq.json) {
      let written = try hq.append([
        LedgerEntry(
          kind: .terminalRevoke, id: "revoke-\(terminal)-\(hq.time.seconds)", at: hq.time, terminal: Entry.hq,
          ref: terminal
        )
      ])
      return ("terminal \(terminal) revoked at seq \(written[0].seq)", ["terminal": terminal, "seq": written[0].seq])
    }
  }
}
