import ArgumentParser
import LoyaltyCLISupport
import LoyaltyCore
import LoyaltyTerminalCLI
import PointsCache

/// `loyalty-terminal earn-loop` (hidden): earns in a loop and prints each receipt id once its
/// transaction has committed, for crash tests that SIGKILL it at random instants.
struct EarnLoopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "earn-loop", abstract: "Earn repeatedly, printing each acknowledged receipt (for crash tests).",
    shouldDisplay: false)

  @Argument(help: "The enrolled card to earn on.")
  var card: String

  @Option(help: "How many earns.")
  var count: Int = 1_000

  @Option(help: "Receipt id prefix.")
  var prefix: String = "L"

  @OptionGroup var cache: CacheOptions
  @OptionGroup var recording: RecordingOptions

  func run() throws {
    let store = try cache.open()
    let start = recording.context
    for i in 0..<count {
      // One earn per hour: clear of debounce and velocity limits.
      var context = start
      context.at = start.at.adding(seconds: Int64(i) * 3600)
      let receipt = "\(prefix)\(i)"
      _ = try store.earn(
        card: card, lines: [PurchaseLine(category: "fresh", amount: 1000 + Int64(i))], receipt: receipt,
        context: context)
      emit(receipt)
    }
  }
}
