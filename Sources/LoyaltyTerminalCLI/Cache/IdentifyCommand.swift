import ArgumentParser
import LoyaltyCLISupport
import LoyaltyCore

/// `loyalty-terminal identify CARD`: what the counter shows for a card.
struct IdentifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identify", abstract: "Show a card's account, tier, balance and the way to the next tier.")

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @Option(help: "As of this UTC time (default now).")
  var at: UTCInstant?

  @OptionGroup var cache: CacheOptions

  func run() throws {
    try report(json: cache.json) {
      let store = try cache.open(.readOnly)
      let program = try store.program()
      let v = try store.identify(card: card, at: at ?? .wallClock)
      let text =
        "\(v.card): account \(v.account)\(v.blocked ? " (BLOCKED)" : ""), \(v.tier), balance \(v.balance) points\(v.pending > 0 ? " (\(v.available) available, \(v.pending) pending)" : ""), \(describeNextTier(v.nextTier, program))"
      return (
        text,
        [
          "card": v.card, "account": v.account, "blocked": v.blocked,
          "cards": v.cards.map { $0 == card ? $0 : CardID.masked($0) }, "balance": v.balance,
          "tier": v.tier,
          "spendInWindow": v.spendInWindow, "visitsInWindow": v.visitsInWindow, "nextTier": nextTierObject(v.nextTier),
        ]
      )
    }
  }
}
