import ArgumentParser
import LoyaltyCLISupport

/// `loyalty-terminal ledger …`, as it was: HQ's ledger tools are `loyalty-hq ledger …` now (a till
/// does not carry HQ's commands), and a terminal's key is `loyalty-terminal keygen`. One line
/// saying where, exit 64.
struct MovedLedgerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ledger", abstract: "Moved: HQ's ledger tools are `loyalty-hq ledger …`.", shouldDisplay: false)

  @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

  func run() throws {
    let subcommand = arguments.first.flatMap { $0.hasPrefix("-") ? nil : " " + $0 } ?? ""
    let json = arguments.contains("--json")
    if subcommand == " keygen" {
      try moved("ledger keygen", "a terminal makes its key with `loyalty-terminal keygen …`", json: json)
    }
    try moved("ledger" + subcommand, "moved to HQ's own binary: run `loyalty-hq ledger\(subcommand) …`", json: json)
  }
}

/// `loyalty-terminal hq serve`, as it was: HQ's sync service is `loyalty-hq serve` now.
struct MovedHQCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hq", abstract: "Moved: HQ's sync service is `loyalty-hq serve`.", shouldDisplay: false)

  @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

  func run() throws {
    try moved("hq serve", "moved to HQ's own binary: run `loyalty-hq serve …`", json: arguments.contains("--json"))
  }
}

/// "loyalty-terminal hq serve: moved to …" on stderr (the usage object with `--json`), and exit 64,
/// a wrong command line.
private func moved(_ old: String, _ message: String, json: Bool) throws -> Never {
  JSONFailure.report("loyalty-terminal \(old): \(message)", reason: "usage", json: json)
  throw ExitCode(64)
}
