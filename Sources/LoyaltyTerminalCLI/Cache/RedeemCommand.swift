import ArgumentParser
import LoyaltyCLISupport

/// `loyalty-terminal redeem CARD ITEM`.
struct RedeemCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "redeem", abstract: "Redeem a catalogue item with points.")

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @Argument(help: "The catalogue item id (e.g. coffee).")
  var item: String

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions

  func run() throws {
    try report(json: cache.json) {
      let r = try cache.open().redeem(card: card, item: item, context: recording.context)
      return (
        "\(item) redeemed for \(r.points) points. Balance \(r.balance) points.",
        ["card": card, "item": item, "points": r.points, "balance": r.balance]
      )
    }
  }
}
