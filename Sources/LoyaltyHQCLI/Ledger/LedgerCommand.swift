import ArgumentParser
import Foundation
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger …`: HQ's tools for the central ledger file.
struct LedgerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ledger", abstract: "HQ tools for the central ledger file.",
    discussion:
      "The ledger is a JSON Lines file, one signed entry per line, appended by HQ only. Its format is described in "
      + "docs/ledger-format.md and the program's in docs/program-format.md, in the project's source repository "
      + "(they are not installed with the binary).",
    subcommands: [
      KeygenCommand.self, LedgerInitCommand.self, LedgerRegisterTerminalCommand.self,
      LedgerRevokeTerminalCommand.self, LedgerPublishProgramCommand.self, LedgerVerifyCommand.self,
      LedgerStatusCommand.self, LedgerBalancesCommand.self, LedgerAccountCommand.self,
      LedgerAdjustCommand.self, LedgerLinkCommand.self, LedgerSettleProvisionalCommand.self, LedgerExpireCommand.self, LedgerExportCommand.self,
      LedgerReportCommand.self, LedgerFindingsCommand.self,
      LedgerSnapshotCommand.self, LedgerNotifyCommand.self, LedgerBackupCommand.self, LedgerRestoreCommand.self,
    ])
}

/// Options of the commands that write the ledger as HQ.
struct HQOptions: ParsableArguments {
  @OptionGroup var file: LedgerFileOption
  var ledger: String { file.ledger }

  @Option(help: "HQ's private key file (mode 600).")
  var hqKey: String

  @Option(help: "When (UTC); default now.")
  var at: UTCInstant?

  @Flag(help: "Print JSON.")
  var json = false

  var time: UTCInstant { at ?? .wallClock }

  /// Appends `entries` as one HQ batch.
  func append(_ entries: [LedgerEntry]) throws -> [LedgerEntry] {
    let key = try LedgerKey.load(from: hqKey)
    return try LedgerFile(path: ledger).append(entries, signer: Entry.hq, key: key, at: time)
  }
}

extension LedgerVerifyCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerBalancesCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerReportCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerFindingsCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerNotifyCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerInitCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerRegisterTerminalCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerRevokeTerminalCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerPublishProgramCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerAdjustCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerSettleProvisionalCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerExpireCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerSnapshotCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
