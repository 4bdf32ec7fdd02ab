import CardIdentification
import CardReader
import CounterFirmware
import CounterRuntime
import LoyaltyCLISupport

// The terminal's own errors, each with its stable code (the shared runner does not import the
// reader modules), and its commands that take `--json`.

extension CardReaderError: ReportedError {
  public var failureReason: String { kind.rawValue }
  public var failureMessage: String { message }
}

extension CardProfiles.LoadError: ReportedError {
  public var failureReason: String { "invalidCardProfiles" }
}

extension ReaderProfiles.LoadError: ReportedError {
  public var failureReason: String { "invalidReaderProfiles" }
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
