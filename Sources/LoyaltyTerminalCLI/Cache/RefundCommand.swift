import ArgumentParser
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-terminal refund RECEIPT AMOUNT [--card CARD]`.
struct RefundCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "refund", abstract: "Refund part or all of a receipt; its points are reversed in proportion.")

  @Argument(help: "The receipt id.")
  var receipt: String

  @Argument(help: "The amount refunded, in minor units.")
  var amount: Int64

  @Option(
    help: ArgumentHelp(
      "The customer's card: the receipt is looked for in its account only (needed for another counter's receipt, "
        + "T02/R9).",
      discussion: "A counter indexes its own receipts only; another's is in the account of the card that earned it. "
        + CardArgument.help),
    transform: CardArgument.parse)
  var card: String?

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions

  func validate() throws {
    guard (1...999_999_999_999_999).contains(amount) else {
      throw ValidationError("AMOUNT must be 1-999999999999999 minor units, got \(amount)")
    }
  }

  func run() throws {
    try report(json: cache.json) {
      let context = recording.context
      let r = try cache.open().refund(receipt: receipt, amount: amount, card: card, context: context)
      // The receipt as the chain names it (`R1` typed at T01 is `T01/R1`).
      let id = (try? Identities.receiptReference(receipt, terminal: context.terminal)) ?? receipt
      return (
        "refund on \(id): \(r.reversed) points reversed. Balance \(r.balance) points.",
        ["receipt": id, "amount": amount, "reversed": r.reversed, "balance": r.balance]
      )
    }
  }
}
