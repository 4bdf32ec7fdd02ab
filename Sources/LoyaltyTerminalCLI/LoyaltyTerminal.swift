import ArgumentParser
import Foundation
import Logging
import LoyaltyCLISupport

/// The `loyalty-terminal` command: the counter terminal's firmware and its tools.
public struct LoyaltyTerminal: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "loyalty-terminal",
    abstract: "Loyalty-card terminal firmware, reader tools and simulator (version \(LoyaltyRelease.version)).",
    discussion: "HQ's ledger tools and sync service are a separate binary: loyalty-hq ledger …, loyalty-hq serve.",
    version: LoyaltyRelease.version,
    subcommands: [
      DemoCommand.self, RunCommand.self, ReadersCommand.self, WatchCommand.self, SimCommand.self,
      ProgramCommand.self, EnrollCommand.self, IdentifyCommand.self, EarnCommand.self, RedeemCommand.self,
      RefundCommand.self, BlockCommand.self, LinkCommand.self, HistoryCommand.self, CheckCommand.self,
      KeygenCommand.self,
      SyncCommand.self, LookUpCommand.self, MovedLedgerCommand.self, MovedHQCommand.self,
    ]
  )

  public init() {}
}

/// Options every reader-facing command shares.
public struct ReaderOptions: ParsableArguments {
  @Flag(help: "Use the in-process simulated reader instead of pcscd.")
  public var simulated = false

  @Option(
    help:
      "ATR profiles file (default: $LOYALTY_CARD_PROFILES, /etc/loyalty-terminal/card-profiles.json, hardware/card-profiles.json of the checkout, else the table built into the binary)."
  )
  public var cardProfiles: String?

  @Option(
    help:
      "Reader LED/buzzer profiles file, for run and readers (default: $LOYALTY_READER_PROFILES, /etc/loyalty-terminal/reader-profiles.json, or the built-in hardware/reader-profiles.json)."
  )
  public var readerProfiles: String?

  @Option(help: "Log level on stderr.")
  public var logLevel: Logger.Level = .warning

  public init() {}

  /// A logger writing to stderr at the chosen level.
  public func makeLogger(_ label: String) -> Logger { standardErrorLogger(label, level: logLevel) }
}

extension LoyaltyTerminal {
  /// Parses the process arguments and runs the chosen subcommand (the executable's entry point).
  public static func runMain(_ arguments: [String]? = nil) async {
    await runCommandLine(LoyaltyTerminal.self, arguments)
  }
}
