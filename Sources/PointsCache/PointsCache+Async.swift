import GRDB
import LoyaltyCore

extension PointsCache {
  /// The counter's operations through GRDB's async reader and writer: the calling task suspends
  /// while SQLite waits for the disk, and no thread is blocked. Same transactions as the
  /// blocking forms the command line uses.
  public var asynchronous: AsyncOperations { AsyncOperations(cache: self) }

  /// See `PointsCache.asynchronous`.
  public struct AsyncOperations: Sendable {
    let cache: PointsCache

    public func program() async throws -> LoyaltyProgram {
      try await cache.pool.read { db in try cache.program(db) }
    }

    public func identify(card: String, at t: UTCInstant) async throws -> CardholderView {
      try await cache.pool.read { db in try cache.identify(db, card: card, at: t) }
    }

    public func enroll(card: String, referrer: String?, context c: OperationContext) async throws -> String {
      try await cache.pool.write { db in try cache.enroll(db, card: card, referrer: referrer, context: c) }
    }

    public func earn(
      card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool = false, context c: OperationContext
    ) async throws -> EarnReceipt {
      try await cache.pool.write { db in
        try cache.earn(db, card: card, lines: lines, receipt: receipt, provisional: provisional, context: c)
      }
    }

    public func redeem(card: String, item: String, context c: OperationContext) async throws -> (
      points: Int64, balance: Int64
    ) {
      try await cache.pool.write { db in try cache.redeem(db, card: card, item: item, context: c) }
    }

    public func refund(receipt: String, amount: Int64, context c: OperationContext) async throws -> (
      reversed: Int64, balance: Int64
    ) {
      try await cache.pool.write { db in try cache.refund(db, receipt: receipt, amount: amount, context: c) }
    }

    public func block(card: String, context c: OperationContext) async throws {
      try await cache.pool.write { db in try cache.block(db, card: card, context: c) }
    }
  }
}
