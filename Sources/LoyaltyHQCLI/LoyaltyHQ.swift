import ArgumentParser
import LoyaltyCLISupport

/// The `loyalty-hq` command: HQ's ledger tools and its sync service, apart from the counter's
/// binary (a till does not carry HQ's server).
public struct LoyaltyHQ: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "loyalty-hq",
    abstract:
      "Loyalty HQ: the central ledger's tools and the terminals' sync service (version \(LoyaltyRelease.version)).",
    discussion: """
      Run on HQ's machine, as the user that owns the ledger: `loyalty-hq ledger …` works on the \
      ledger file, `loyalty-hq serve` is the service terminals sync with over HTTP (README, sections \
      "HQ operations and the nightly sync" and "HQ's sync service").
      """,
    version: LoyaltyRelease.version,
    subcommands: [LedgerCommand.self, ServeCommand.self]
  )

  public init() {}

  /// Parses the process arguments and runs the chosen subcommand (the executable's entry point).
  public static func runMain(_ arguments: [String]? = nil) async {
    await runCommandLine(LoyaltyHQ.self, arguments)
  }
}
