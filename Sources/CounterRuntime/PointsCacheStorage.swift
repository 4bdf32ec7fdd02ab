import CounterFirmware
import LoyaltyCore
import PointsCache

/// The counter's storage port on the SQLite points cache, through GRDB's async reader and
/// writer: the firmware's task is never blocked while SQLite waits for the disk.
public struct PointsCacheStorage: CounterStorage {
  public let cache: PointsCache

  public init(cache: PointsCache) { self.cache = cache }

  public func program() async throws -> LoyaltyProgram { try await cache.asynchronous.program() }

  public func isStandAlone() async throws -> Bool { try await cache.asynchronous.isStandAlone() }

  public func identify(card: CardID, at: UTCInstant) async throws -> CardholderView {
    try await cache.asynchronous.identify(card: card.text, at: at)
  }

  public func receipt(_ number: String, terminal: String) async throws -> ReceiptStatus {
    let (id, receipt) = try await cache.asynchronous.receipt(number, terminal: terminal)
    // The rule's own refusal, as the refund itself would say it.
    guard let receipt else { throw Decisions.unknownReceipt(id) }
    return ReceiptStatus(id: id, amount: receipt.amount, refunded: receipt.refunded)
  }

  public func perform(_ operation: CounterOperation, context: OperationContext, dryRun: Bool) async throws
    -> RecordOutcome
  {
    let cache = cache.asynchronous
    switch operation {
    case .enroll(let card, let referrer):
      return .enrolled(
        account: try await cache.enroll(card: card.text, referrer: referrer?.text, context: context, dryRun: dryRun))
    case .purchase(let card, let lines, let receipt, let provisional, _):
      return .earned(
        try await cache.earn(
          card: card.text, lines: lines, receipt: receipt, provisional: provisional, context: context, dryRun: dryRun))
    case .redeem(let card, let item, _):
      let r = try await cache.redeem(card: card.text, item: item, context: context, dryRun: dryRun)
      return .redeemed(item: item, points: r.points, balance: r.balance)
    case .refund(let receipt, let amount):
      let r = try await cache.refund(receipt: receipt, amount: amount, context: context, dryRun: dryRun)
      return .refunded(receipt: receipt, reversed: r.reversed, balance: r.balance)
    case .block(let card):
      try await cache.block(card: card.text, context: context, dryRun: dryRun)
      return .blocked(card: card)
    }
  }
}
