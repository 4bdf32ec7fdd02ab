import ArgumentParser

/// `loyalty-terminal enroll CARD [--referrer CARD]`.
struct EnrollCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "enroll", abstract: "Enrol a card (a new account), optionally referred by another card.")

  @Argument(help: "The card ID (16-digit loyalty number or hex UID).")
  var card: String

  @Option(help: "The card of the member who referred this one.")
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
