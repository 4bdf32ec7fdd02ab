import ArgumentParser
import HQBackOffice
import LedgerFormat
import LedgerStore
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-hq ledger adjust (ACCOUNT | --card CARD) POINTS --reason TEXT`: an HQ correction,
/// only on an account the ledger knows, never overdrawing it unless told to.
struct LedgerAdjustCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adjust",
    abstract: "Credit (positive) or debit (negative) an account the ledger knows, with a reason.",
    discussion: """
      Name the account by its id (acct-…) or by one of its cards (--card); `ledger account --card CARD` \
      shows a card's account first. A debit that would take the balance below 0 is refused unless \
      --allow-overdraw. --dry-run prints the entry that would be appended and appends nothing.
      """)

  // ACCOUNT and POINTS are captured unparsed, together, so that a debit (`-5`) is not taken for an
  // option, with or without the account before it (`--card` names the account instead).
  @Argument(
    parsing: .allUnrecognized,
    help: ArgumentHelp(
      "The account id (acct-…; left out with --card), then the points, signed: 25 credits, -5 debits.",
      valueName: "account> <points"))
  var positional: [String] = []

  @Option(
    help: ArgumentHelp("A card of the account, instead of its id. " + CardArgument.help), transform: CardArgument.parse)
  var card: String?

  /// The account id given (nil with --card).
  var account: String? { card == nil ? positional.first : nil }

  /// The signed points, once `validate()` has passed.
  var points: Int64 { Int64(positional.last ?? "") ?? 0 }

  @Option(help: "Why (kept in the ledger).")
  var reason: String

  @Flag(help: "Allow a debit that takes the balance below 0.")
  var allowOverdraw = false

  @Flag(help: "Print the entry that would be appended; append nothing.")
  var dryRun = false

  @OptionGroup var hq: HQOptions

  func validate() throws {
    let expected = card == nil ? 2 : 1
    if card != nil, positional.count == 2, positional[0].hasPrefix("acct-") {
      throw ValidationError("give the account id or --card, not both")
    }
    guard positional.count >= expected else {
      throw ValidationError(
        card == nil && positional.first?.hasPrefix("acct-") != true
          ? "give the account id (acct-…) or --card CARD, then POINTS (a whole number; negative debits)"
          : "POINTS is missing (a whole number; negative debits)")
    }
    let given = positional.dropFirst(expected - 1)
    guard given.count == 1, let value = Int64(given.first!) else {
      throw ValidationError("POINTS must be one whole number, got \(given.joined(separator: " "))")
    }
    guard value.magnitude <= LedgerAdjustCommand.maxPoints else {
      throw ValidationError("POINTS \(value) is out of range (at most ±\(LedgerAdjustCommand.maxPoints))")
    }
    guard points != 0 else { throw ValidationError("POINTS must not be 0") }
    if let account, !account.hasPrefix("acct-") {
      throw ValidationError("ACCOUNT must be an account id (acct-…); for a card, give --card \(account)")
    }
    guard !reason.isEmpty, reason.count <= 200 else { throw ValidationError("--reason must be 1-200 characters") }
  }

  /// The largest correction one command may make: far above any real account, far below overflow.
  static let maxPoints: UInt64 = 1_000_000_000

  func run() throws {
    // Two corrections of one account in one second are two entries: the id carries a random part.
    var generator = SystemRandomNumberGenerator()
    let nonce = UInt32.random(in: .min ... .max, using: &generator)
    try reportLedger(json: hq.json) {
      let id = try resolveAccount()
      var before: Int64 = 0
      let written = try LedgerFile(path: hq.ledger).appendHQ(
        key: LedgerKey.load(from: hq.hqKey), at: hq.time, dryRun: dryRun
      ) { fold in
        guard let state = fold.accounts[id] else {
          throw CommandFailure(
            reason: "unknownAccount",
            message: "account \(id) is not in the ledger \(hq.ledger): nothing adjusted (find a card's account with "
              + "`ledger account --card CARD --ledger \(hq.ledger)`)")
        }
        before = state.balance
        if points < 0, state.balance + points < 0, !allowOverdraw {
          throw CommandFailure(
            reason: "wouldOverdraw",
            message: "adjusting \(id) by \(points) would overdraw it: its balance is "
              + "\(LedgerEntryListing.points(state.balance)); nothing adjusted "
              + "(give --allow-overdraw to debit it anyway)"
          )
        }
        return [
          Entry(
            kind: .adjustment, id: "adjust-\(id)-\(hq.time.seconds)-\(nonce)", at: hq.time, terminal: Entry.hq,
            account: id,
            card: card, points: points, data: reason)
        ]
      }
      let after = before + points
      let object: [String: Any] = ["account": id, "points": points, "balanceBefore": before, "balance": after]
      let change = "\(id) by \(LedgerEntryListing.signed(points))"
      guard !dryRun else { return LedgerEntryListing.dryRun(written, summary: "adjust \(change)", object: object) }
      var o = object
      o["seq"] = written[0].seq
      return (
        "adjusted \(change) at seq \(written[0].seq): balance \(after)\(after < 0 ? " (overdrawn)" : "")", o
      )
    }
  }

  /// The account named, or the one `--card` belongs to.
  func resolveAccount() throws -> String {
    guard let card else { return account ?? "" }
    try Identities.validateCard(card)
    guard let owner = try LedgerAccountLookup.owner(of: card, path: hq.ledger).account else {
      throw CommandFailure(
        reason: "unknownCard",
        message: "card \(card) is not in the ledger \(hq.ledger) (no enrolment, link or purchase): nothing adjusted")
    }
    return owner
  }
}
