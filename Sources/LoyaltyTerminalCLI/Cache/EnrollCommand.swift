import ArgumentParser
import LoyaltyCLISupport

/// `loyalty-terminal enroll CARD [--referrer CARD]`.
struct EnrollCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "enroll", abstract: "Enrol a card (a new account), optionally referred by another card.")

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @Option(help: "The card of the member who referred this one.", transform: CardArgument.parse)
  var referrer: String?

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions

  func run() throws {
    try report(json: cache.json) {
      let account = try cache.open().enroll(card: card, referrer: referrer, context: recording.context)
      return (
        "card \(card) enrolled: account \(account)", ["card": card, "account": account, "referrer": referrer as Any]
      )
    }
  }
}
