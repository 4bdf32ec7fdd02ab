import LoyaltyCore
import PointsCache

/// What the counter keeps on disk: the points cache, seen through the operations a counter does.
public protocol CounterStorage: Sendable {
  func identify(card: String, at: UTCInstant) async throws -> CardholderView
  func enroll(card: String, referrer: String?, context: OperationContext) async throws -> String
  func earn(card: String, lines: [PurchaseLine], receipt: String?, context: OperationContext) async throws
    -> EarnReceipt
  func redeem(card: String, item: String, context: OperationContext) async throws -> (points: Int64, balance: Int64)
  func refund(receipt: String, amount: Int64, context: OperationContext) async throws -> (
    reversed: Int64, balance: Int64
  )
  func block(card: String, context: OperationContext) async throws
  func program() async throws -> LoyaltyProgram
}

/// The live storage: a SQLite points cache on disk.
///
/// Each call runs on GRDB's pool off the firmware's own task, so the display keeps being drawn
/// while a durable write waits for the disk.
public struct PointsCacheStorage: CounterStorage {
  public let cache: PointsCache

  public init(cache: PointsCache) { self.cache = cache }

  func off<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await Task.detached(priority: .userInitiated) { try body() }.value
  }

  public func identify(card: String, at: UTCInstant) async throws -> CardholderView {
    try await off { [cache] in try cache.identify(card: card, at: at) }
  }
  public func enroll(card: String, referrer: String?, context: OperationContext) async throws -> String {
    try await off { [cache] in try cache.enroll(card: card, referrer: referrer, context: context) }
  }
  public func earn(card: String, lines: [PurchaseLine], receipt: String?, context: OperationContext) async throws
    -> EarnReceipt
  {
    try await off { [cache] in try cache.earn(card: card, lines: lines, receipt: receipt, context: context) }
  }
  public func redeem(card: String, item: String, context: OperationContext) async throws -> (
    points: Int64, balance: Int64
  ) {
    try await off { [cache] in try cache.redeem(card: card, item: item, context: context) }
  }
  public func refund(receipt: String, amount: Int64, context: OperationContext) async throws -> (
    reversed: Int64, balance: Int64
  ) {
    try await off { [cache] in try cache.refund(receipt: receipt, amount: amount, context: context) }
  }
  public func block(card: String, context: OperationContext) async throws {
    try await off { [cache] in try cache.block(card: card, context: context) }
  }
  public func program() async throws -> LoyaltyProgram {
    try await off { [cache] in try cache.program() }
  }
}
