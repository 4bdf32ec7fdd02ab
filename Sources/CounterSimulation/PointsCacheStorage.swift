import CounterFirmware
import LoyaltyCore
import PointsCache

/// The counter's storage port on the SQLite points cache, through GRDB's async reader and
/// writer: the firmware's task is never blocked while SQLite waits for the disk.
public struct PointsCacheStorage: CounterStorage {
  public let cache: PointsCache

  public init(cache: PointsCache) { self.cache = cache }

  public func program() async throws -> LoyaltyProgram { try await cache.asynchronous.program() }

  public func identify(card: String, at: UTCInstant) async throws -> CardholderView {
    try await cache.asynchronous.identify(card: card, at: at)
  }

  public func enroll(card: String, referrer: String?, context: OperationContext) async throws -> String {
    try await cache.asynchronous.enroll(card: card, referrer: referrer, context: context)
  }

  public func earn(
    card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool, context: OperationContext
  ) async throws -> EarnReceipt {
    try await cache.asynchronous.earn(
      card: card, lines: lines, receipt: receipt, provisional: provisional, context: context)
  }

  public func redeem(card: String, item: String, context: OperationContext) async throws -> (
    points: Int64, balance: Int64
  ) {
    try await cache.asynchronous.redeem(card: card, item: item, context: context)
  }

  public func refund(receipt: String, amount: Int64, context: OperationContext) async throws -> (
    reversed: Int64, balance: Int64
  ) {
    try await cache.asynchronous.refund(receipt: receipt, amount: amount, context: context)
  }

  public func block(card: String, context: OperationContext) async throws {
    try await cache.asynchronous.block(card: card, context: context)
  }
}
