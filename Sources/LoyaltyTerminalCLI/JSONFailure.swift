import ArgumentParser
import CardIdentification
import CardReader
import CounterFirmware
import Foundation
import Ledger
import LocalFiles
import LoyaltyCore

/// How every command reports a failure: with `--json`, one object `{"error": message, "reason":
/// code}` on stdout (the code stable, for programs to switch on); otherwise the message on stderr.
/// Every JSON error of every command is printed here, so none lacks either key.
enum JSONFailure {
  /// The object a JSON failure prints (a refused tap in `watch` adds its reader and ATR to it).
  static func object(_ message: String, reason: String) -> [String: Any] { ["error": message, "reason": reason] }

  /// Prints a failure, as JSON or as a line on stderr.
  static func report(_ message: String, reason: String, json: Bool) {
    if json { emit(TapLine.encode(object(message, reason: reason))) } else { printError(message) }
  }

  /// The stable code of an error that reached the command line without one of its own.
  static func reason(for error: any Error) -> String {
    switch error {
    case let error as CommandFailure: error.reason
    case let error as RuleError: error.reason.rawValue
    case let error as CardReaderError: error.kind.rawValue
    case is ValidationError: "invalidArgument"
    case is ValidationProblems: "invalidDocument"
    case is CardProfiles.LoadError: "invalidCardProfiles"
    case is ReaderProfiles.LoadError: "invalidReaderProfiles"
    case is LocalFileError: "unreadableFile"
    case is LedgerError: "ledger"
    case is DecodingError: "invalidJSON"
    case is CocoaError: "fileError"
    default: (error as NSError).domain == NSCocoaErrorDomain ? "fileError" : "internal"
    }
  }
}

/// A command that takes `--json`: a failure it does not report itself (a bad profiles file, a
/// cache without a program, an unknown reader) is still printed as a JSON error.
protocol JSONReporting {
  var jsonOutput: Bool { get }
}

extension ReadersCommand: JSONReporting { var jsonOutput: Bool { json } }
extension WatchCommand: JSONReporting { var jsonOutput: Bool { json } }
extension SimRunCommand: JSONReporting { var jsonOutput: Bool { json } }
extension RunCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension ProgramCommand.Load: JSONReporting { var jsonOutput: Bool { cache.json } }
extension EnrollCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension IdentifyCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension EarnCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension RedeemCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension RefundCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension BlockCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension LinkCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension HistoryCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension SyncCommand: JSONReporting { var jsonOutput: Bool { cache.json } }
extension LedgerKeygenCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerVerifyCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerBalancesCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerReportCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerNotifyCommand: JSONReporting { var jsonOutput: Bool { json } }
extension LedgerInitCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerRegisterTerminalCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerRevokeTerminalCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerPublishProgramCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerAdjustCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerSettleProvisionalCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerExpireCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
extension LedgerSnapshotCommand: JSONReporting { var jsonOutput: Bool { hq.json } }
