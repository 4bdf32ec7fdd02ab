import ArgumentParser
import LoyaltyCLISupport

/// `loyalty-terminal link CARD --to CARD`.
struct LinkCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "link", abstract: "Link a new card to the account of an existing card.")

  @Argument(help: "The new card (as for enroll).", transform: CardArgument.parse)
  var card: String

  @Option(help: "A card of the account to join.", transform: CardArgument.parse)
  var to: String

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions

  func run() throws {
    try report(json: cache.json) {
      let account = try cache.open().link(card: card, to: to, context: recording.context)
      return ("card \(card) linked to account \(account)", ["card": card, "account": account])
    }
  }
}
