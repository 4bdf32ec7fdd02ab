import ArgumentParser
import Foundation
import LedgerFormat
import LoyaltyCLISupport
import LoyaltyCore
import NightlySync
import PointsCache

/// `loyalty-terminal look-up CARD --cache PATH (--ledger PATH | --hq URL) --terminal ID --key PATH`:
/// asks HQ for the account of a card this counter does not hold (a terminal in a region).
struct LookUpCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "look-up", abstract: "Ask HQ for the account of a card this counter does not hold.",
    discussion: """
      A terminal in a region holds the accounts active there. A cardholder from elsewhere earns \
      provisionally, on the base tier. With HQ reachable, look the card up first: HQ answers with \
      the account's state on this counter's basis (as of its last sync), signed with its key, and the \
      counter decides on it (tier, balance, redemptions, refunds) until its next sync, as HQ's audit will.
      """)

  @Argument(help: ArgumentHelp(CardArgument.help), transform: CardArgument.parse)
  var card: String

  @OptionGroup var cache: CacheOptions
  @OptionGroup var hqOptions: HQOptions

  @Option(help: "When (UTC); default now.")
  var at: UTCInstant?

  func validate() throws {
    do throws(RuleError) { try Identities.validateCard(card) } catch { throw ValidationError(error.message) }
  }

  func run() async throws {
    try await SyncCommand.reportSync(json: cache.json) { try await lookUp() }
  }

  func lookUp() async throws -> (text: String, object: [String: Any]) {
    // A counter joins its chain by a first sync; a look-up makes no cache.
    guard FileManager.default.fileExists(atPath: cache.cache) else {
      throw CommandFailure(
        reason: "cacheUnavailable",
        message: "no cache at \(cache.cache): a counter joins its chain with a first sync (loyalty-terminal sync)",
        exitCode: 2)
    }
    let store = try cache.open()
    // The key before the connection: a key that does not load leaves no connection open.
    let key = try LedgerKey.load(from: hqOptions.key)
    let (connection, remote) = try hqOptions.connection(label: "look-up")
    let lookUp = CardLookUp(cache: store, connection: connection, terminal: hqOptions.terminal, key: key)
    let time = at ?? .wallClock
    let outcome: LookUpOutcome
    do {
      outcome = try await lookUp.run(card: card, at: time)
      await remote?.close()
    } catch {
      await remote?.close()
      throw error
    }
    return try Self.report(outcome, card: card, store: store, at: time)
  }

  static func report(_ outcome: LookUpOutcome, card: String, store: PointsCache, at time: UTCInstant) throws -> (
    text: String, object: [String: Any]
  ) {
    switch outcome {
    case .held(let account):
      return (
        "\(card): this counter holds account \(account) from HQ already (its replica, or a look-up since its last "
          + "sync): nothing to look up.",
        ["card": card, "account": account, "outcome": "held"]
      )
    case .unknown:
      return (
        "\(card): HQ knows no account of this card on this counter's basis: a purchase earns provisionally, or "
          + "enrol the card.",
        ["card": card, "outcome": "unknown"]
      )
    case .taken(let account, _, let hqAhead):
      let program = try store.program()
      let v = try store.identify(card: card, at: time)
      let asOf =
        hqAhead > 0
        ? "HQ's state as of this counter's last sync (HQ has moved on since: sync for what other shops recorded)"
        : "HQ's state, current"
      return (
        "\(card): account \(account)\(v.blocked ? " (BLOCKED)" : ""), \(v.tier), balance \(v.balance) points, "
          + "\(describeNextTier(v.nextTier, program)); \(asOf); decided on until the next sync.",
        [
          "card": card, "account": account, "outcome": "taken", "balance": v.balance, "tier": v.tier,
          "hqAhead": hqAhead,
        ]
      )
    }
  }
}
