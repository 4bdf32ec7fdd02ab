import ArgumentParser
import LoyaltyCLISupport

/// `loyalty-terminal block CARD`.
struct BlockCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "block", abstract: "Block a card (lost or stolen); its account stays intact.")

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions

  func run() throws {
    try report(json: cache.json) {
      try cache.open().block(card: card, context: recording.context)
      return ("card \(card) blocked", ["card": card, "blocked": true])
    }
  }
}
