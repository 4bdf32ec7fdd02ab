import ArgumentParser
import Ledger

/// `loyalty-terminal ledger adjust ACCOUNT POINTS --reason TEXT`: an HQ correction.
struct LedgerAdjustCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adjust", abstract: "Credit (positive) or debit (negative) an account, with a reason.")

  @Argument(help: "The account id (acct-…).")
  var account: String

  // Captured unparsed so that a debit (`-5`) is not taken for an option.
  @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Points, signed: 25 credits, -5 debits.", valueName: "points"))
  var pointsArgument: [String] = []

  /// The signed points, once `validate()` has passed.
  var points: Int64 { Int64(pointsArgument.first ?? "") ?? 0 }

  @Option(help: "Why (kept in the ledger).")
  var reason: String

  @OptionGroup var hq: HQOptions

  func validate() throws {
    guard pointsArgument.count == 1, let value = Int64(pointsArgument[0]) else {
      throw ValidationError(
        pointsArgument.isEmpty
          ? "POINTS is missing (a whole number; negative debits)"
          : "POINTS must be one whole number, got \(pointsArgument.joined(separator: " "))")
    }
    guard value.magnitude <= LedgerAdjustCommand.maxPoints else {
      throw ValidationError("POINTS \(value) is out of range (at most ±\(LedgerAdjustCommand.maxPoints))")
    }
    guard points != 0 else { throw ValidationError("POINTS must not be 0") }
    guard account.hasPrefix("acct-") else { throw ValidationError("ACCOUNT must be an account id (acct-…)") }
    guard !reason.isEmpty, reason.count <= 200 else { throw ValidationError("--reason must be 1-200 characters") }
  }

  /// The largest correction one command may make: far above any real account, far below overflow.
  static let maxPoints: UInt64 = 1_000_000_000

  func run() throws {
    // Two corrections of one account in one second are two entries: the id carries a random part.
    var generator = SystemRandomNumberGenerator()
    try reportLedger(json: hq.json) {
      let written = try hq.append([
        LedgerEntry(
          kind: .adjustment, id: "adjust-\(account)-\(hq.time.seconds)-\(UInt32.random(in: .min ... .max, using: &generator))", at: hq.time, terminal: "HQ", account: account,
          points: points, data: reason)
      ])
      return (
        "adjusted \(account) by \(points) at seq \(written[0].seq)",
        ["account": account, "points": points, "seq": written[0].seq]
      )
    }
  }
}
