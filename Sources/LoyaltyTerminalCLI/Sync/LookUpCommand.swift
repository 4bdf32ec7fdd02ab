import ArgumentParser
import LedgerFormat
import LoyaltyCLISupport
import LoyaltyCore
import NightlySync
import PointsCache

/// `loyalty-terminal look-up CARD --cache PATH (--ledger PATH | --hq URL) --terminal ID --key PATH`:
/// asks HQ for a card's account this counter's replica does not hold (a terminal in a region).
struct LookUpCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "look-up", abstract: "Ask HQ for the account of a card this counter does not hold.",
    discussion: """
      A terminal in a region holds the accounts active there. A cardholder from elsewhere earns \
      provisionally, on the base tier. With HQ reachable, look the card up first: HQ answers with \
      the account's state on this counter's basis, signed with its key, and the counter decides on \
      it (tier, balance, redemptions, refunds) until its next sync, as HQ's audit will.
      """)

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @OptionGroup var cache: CacheOptions
  @OptionGroup var hqOptions: HQOptions

  @Option(help: "When (UTC); default now.")
  var at: UTCInstant?

  func run() async throws {
    try await SyncCommand.reportSync(json: cache.json) {
      let store = try cache.open()
      let (connection, remote) = try hqOptions.connection(label: "look-up")
      let lookUp = CardLookUp(
        cache: store, connection: connection, terminal: hqOptions.terminal,
        key: try LedgerKey.load(from: hqOptions.key))
      let time = at ?? .wallClock
      let outcome: LookUpOutcome
      do {
        outcome = try await lookUp.run(card: card, at: time)
        await remote?.close()
      } catch {
        await remote?.close()
        throw error
      }
      switch outcome {
      case .held(let account):
        return (
          "\(card): this counter holds account \(account) from HQ already: nothing to look up.",
          ["card": card, "account": account, "outcome": "held"]
        )
      case .unknown:
        return (
          "\(card): HQ knows no account of this card on this counter's basis: a purchase earns provisionally, or "
            + "enrol the card.",
          ["card": card, "outcome": "unknown"]
        )
      case .taken(let account, _):
        let program = try store.program()
        let v = try store.identify(card: card, at: time)
        return (
          "\(card): account \(account)\(v.blocked ? " (BLOCKED)" : ""), \(v.tier), balance \(v.balance) points, "
            + "\(describeNextTier(v.nextTier, program)); HQ's state on this counter's basis: decided on until the "
            + "next sync.",
          ["card": card, "account": account, "outcome": "taken", "balance": v.balance, "tier": v.tier]
        )
      }
    }
  }
}
