import ArgumentParser
import LoyaltyCLISupport

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
      "The customer's card: another counter's receipt (T02/R9) is found in its account.",
      discussion: "A counter indexes its own receipts only; another's is in the account of the card that earned it."))
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
      let r = try cache.open().refund(receipt: receipt, amount: amount, card: card, context: recording.context)
      return (
        "refund on \(receipt): \(r.reversed) points reversed. Balance \(r.balance) points.",
        ["receipt": receipt, "amount": amount, "reversed": r.reversed, "balance": r.balance]
      )
    }
  }
}
