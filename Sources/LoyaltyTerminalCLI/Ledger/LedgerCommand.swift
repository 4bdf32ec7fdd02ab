import ArgumentParser
import Foundation
import HQClient
import Ledger
import LoyaltyCore
import SyncProtocol

/// `loyalty-terminal ledger …`: HQ's tools for the central ledger file.
struct LedgerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ledger", abstract: "HQ tools for the central ledger file.",
    discussion:
      "The ledger is a JSON Lines file, one signed entry per line, appended by HQ only. Its format is described in "
      + "docs/ledger-format.md and the program's in docs/program-format.md, in the project's source repository "
      + "(they are not installed with the binary).",
    subcommands: [
      LedgerKeygenCommand.self, LedgerInitCommand.self, LedgerRegisterTerminalCommand.self,
      LedgerRevokeTerminalCommand.self, LedgerPublishProgramCommand.self, LedgerVerifyCommand.self,
      LedgerStatusCommand.self, LedgerBalancesCommand.self, LedgerAccountCommand.self,
      LedgerAdjustCommand.self, LedgerSettleProvisionalCommand.self, LedgerExpireCommand.self, LedgerExportCommand.self,
      LedgerReportCommand.self,
      LedgerSnapshotCommand.self, LedgerNotifyCommand.self, LedgerBackupCommand.self, LedgerRestoreCommand.self,
    ])
}

/// Options of the commands that write the ledger as HQ.
struct HQOptions: ParsableArguments {
  @Option(help: "The ledger file.")
  var ledger: String

  @Option(help: "HQ's private key file (mode 600).")
  var hqKey: String

  @Option(help: "When (UTC); default now.")
  var at: UTCInstant?

  @Flag(help: "Print JSON.")
  var json = false

  var time: UTCInstant { at ?? .now }

  /// Appends `entries` as one HQ batch.
  func append(_ entries: [LedgerEntry]) throws -> [LedgerEntry] {
    let key = try LedgerKey.load(from: hqKey)
    return try LedgerFile(path: ledger).append(entries, signer: "HQ", key: key, at: time)
  }
}

/// Runs a ledger command, turning `LedgerError` into one line (or JSON) and exit status 1.
func reportLedger(json: Bool, _ body: () throws -> (text: String, object: [String: Any])) throws {
  try report(json: json) {
    do { return try body() } catch let error as LedgerError {
      throw CommandFailure(reason: "ledger", message: error.description)
    }
  }
}

/// `reportLedger` for a body that awaits (a sync over HQ's service); HQ's refusals and protocol
/// errors are one line each.
func reportLedger(json: Bool, _ body: () async throws -> (text: String, object: [String: Any])) async throws {
  let result: Result<(text: String, object: [String: Any]), any Error>
  do { result = .success(try await body()) } catch let error as HQRefusal {
    result = .failure(CommandFailure(reason: "hqRefused", message: error.description))
  } catch let error as SyncProtocolError {
    result = .failure(CommandFailure(reason: "sync", message: error.description))
  } catch {
    result = .failure(error)
  }
  try reportLedger(json: json) { try result.get() }
}

/// Terminal ids: letters, digits, - and _ (and never "HQ").
func validateTerminalID(_ id: String) throws {
  if let problem = Identities.terminalIDProblem(id) { throw ValidationError(problem) }
}
