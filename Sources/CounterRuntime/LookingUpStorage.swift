import CounterFirmware
import Logging
import LoyaltyCore
import PointsCache

/// The counter's storage with HQ in reach: a tapped card the counter would not decide on in full
/// (one it does not know — enrolled at another shop since the last sync — or, at a region's
/// counter, one whose account it holds no HQ state of) is looked up at HQ before it is identified (`CardLookUp`, bounded by the connection's timeout),
/// so the counter shows and decides on the whole account. When HQ does not answer in time, or
/// knows no such account, the card is what it was: unknown here, or provisional.
public struct LookingUpStorage: CounterStorage {
  public let base: PointsCacheStorage
  /// Looks a card up at HQ and takes the answer into the cache.
  let lookUp: @Sendable (_ card: String, _ at: UTCInstant) async throws -> LookUpOutcome
  let logger: Logger

  public init(
    base: PointsCacheStorage, logger: Logger,
    lookUp: @escaping @Sendable (_ card: String, _ at: UTCInstant) async throws -> LookUpOutcome
  ) {
    self.base = base
    self.logger = logger
    self.lookUp = lookUp
  }

  public func program() async throws -> LoyaltyProgram { try await base.program() }

  public func isStandAlone() async throws -> Bool { try await base.isStandAlone() }

  public func identify(card: CardID, at: UTCInstant) async throws -> CardholderView {
    let first: Result<CardholderView, any Error>
    do { first = .success(try await base.identify(card: card, at: at)) } catch { first = .failure(error) }
    // Only a card unknown here, or (in a region) known without HQ's state of its account, is asked for.
    if case .failure(let error) = first, (error as? RuleError)?.reason != .unknownCard { throw error }
    if case .taken = try await lookUpIfNotHeld(card, at: at) { return try await base.identify(card: card, at: at) }
    return try first.get()
  }

  /// Looks `card` up at HQ when this counter would not decide on its account in full; nil when
  /// it would, or when HQ is out of reach or refuses (logged: the counter goes on as offline).
  func lookUpIfNotHeld(_ card: CardID, at: UTCInstant) async throws -> LookUpOutcome? {
    guard let question = try await base.cache.asynchronous.lookUpQuestion(card: card.text), question.held == nil
    else { return nil }
    do {
      let outcome = try await lookUp(card.text, at)
      logger.info("card looked up at HQ", metadata: ["card": "\(card.masked)", "outcome": "\(outcome)"])
      return outcome
    } catch {
      logger.warning("card look-up at HQ failed", metadata: ["card": "\(card.masked)", "error": "\(error)"])
      return nil
    }
  }

  /// A refund for a customer's card whose account this counter would not decide on in full
  /// (tapped during the refund, or F on an unknown card's screen) has it looked up at HQ first,
  /// as a tap at the cardholder's screen does: another counter's receipt is then in its account.
  public func receipt(_ number: String, terminal: String, card: CardID?, at: UTCInstant) async throws
    -> ReceiptStatus
  {
    if let card { _ = try await lookUpIfNotHeld(card, at: at) }
    return try await base.receipt(number, terminal: terminal, card: card, at: at)
  }

  public func perform(_ operation: CounterOperation, context: OperationContext, dryRun: Bool) async throws
    -> RecordOutcome
  {
    try await base.perform(operation, context: context, dryRun: dryRun)
  }
}
