import ArgumentParser
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-terminal earn CARD --line CATEGORY:AMOUNT …`: records a purchase and prints the
/// line the cashier reads out. A card the cache does not know earns provisionally, as at the
/// counter (unless `--refuse-unknown`).
struct EarnCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "earn", abstract: "Record a purchase and the points it earns.",
    discussion: """
      A card this cache does not know (enrolled at another shop since the last sync, or not enrolled \
      yet) earns provisionally, as at the counter: the points go on the card's own account and join \
      the cardholder's balance at the next sync (on a stand-alone counter, one that has never synced, \
      they stay on the card until it is enrolled). --refuse-unknown refuses such a card instead.
      """)

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @Option(
    name: .customLong("line"), help: "A basket line, CATEGORY:AMOUNT in minor units (e.g. fresh:1250). Repeatable.")
  var lines: [String] = []

  @Option(help: "The receipt id (default: A and the entry's sequence, e.g. A42, on the receipt as T01/A42).")
  var receipt: String?

  @Flag(help: "Refuse a card this cache does not know instead of earning provisionally.")
  var refuseUnknown = false

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions

  func validate() throws {
    guard !lines.isEmpty else { throw ValidationError("give at least one --line CATEGORY:AMOUNT") }
    for line in lines where Self.parse(line) == nil {
      throw ValidationError(
        "--line \"\(line)\" is not CATEGORY:AMOUNT with a whole amount of 1-999999999999999 minor units")
    }
    if let receipt, receipt.isEmpty || receipt.count > 64 { throw ValidationError("--receipt must be 1-64 characters") }
  }

  static func parse(_ text: String) -> PurchaseLine? {
    guard let colon = text.lastIndex(of: ":") else { return nil }
    let category = String(text[..<colon])
    let amountText = text[text.index(after: colon)...]
    guard !category.isEmpty, category.count <= 64, !amountText.isEmpty, amountText.count <= 15,
      amountText.allSatisfy({ $0.isASCII && $0.isNumber }), let amount = Int64(amountText)
    else { return nil }
    return PurchaseLine(category: category, amount: amount)
  }

  func run() throws {
    try report(json: cache.json) {
      let store = try cache.open()
      let r = try store.earn(
        card: card, lines: lines.compactMap(Self.parse), receipt: receipt, provisional: !refuseUnknown,
        context: recording.context)
      if r.provisional {
        // As the counter: no balance or tier (the card's own account is not the cardholder's).
        let note =
          try store.syncCheckpoint() == nil
          ? "card \(card) is not enrolled here: the points stay on the card until it is enrolled"
          : (try? store.identify(card: card, at: recording.context.at)) == nil
            ? "card \(card) is not known here: the points are on the card's own account and join the cardholder's "
              + "balance at the next sync"
            : "HQ has not yet vouched for card \(card)'s account at this counter (a terminal in a region): the points "
              + "are on the card's own account and join the cardholder's balance at the next sync"
        return (
          "+\(r.points) points (receipt \(r.receipt)), provisional: \(note).",
          [
            "receipt": r.receipt, "card": r.card, "account": r.account, "points": r.points, "provisional": true,
            "note": note,
          ]
        )
      }
      let program = try store.program()
      var text =
        "+\(r.points) points (receipt \(r.receipt)). Balance \(r.balance) points. \(r.tier): \(describeNextTier(r.nextTier, program))."
      if !r.referralBonuses.isEmpty {
        text +=
          " Referral bonus: " + r.referralBonuses.map { "\($0.value) to \($0.key)" }.sorted().joined(separator: ", ")
          + "."
      }
      return (
        text,
        [
          "receipt": r.receipt, "card": r.card, "account": r.account, "points": r.points, "balance": r.balance,
          "tier": r.tier, "nextTier": nextTierObject(r.nextTier), "referralBonuses": r.referralBonuses,
          "provisional": false,
        ]
      )
    }
  }
}
