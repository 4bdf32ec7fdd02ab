import LoyaltyCore

/// What the counter keeps on disk, seen through the operations a counter does. The firmware's
/// own port: the SQLite points cache is one implementation (`PointsCacheStorage`, in
/// CounterSimulation), a test's gated storage another.
public protocol CounterStorage: Sendable {
  func program() async throws -> LoyaltyProgram
  func identify(card: String, at: UTCInstant) async throws -> CardholderView
  func enroll(card: String, referrer: String?, context: OperationContext) async throws -> String
  /// A purchase; with `provisional`, on a card storage does not know (added at the next sync).
  func earn(card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool, context: OperationContext)
    async throws -> EarnReceipt
  func redeem(card: String, item: String, context: OperationContext) async throws -> (points: Int64, balance: Int64)
  func refund(receipt: String, amount: Int64, context: OperationContext) async throws -> (
    reversed: Int64, balance: Int64
  )
  func block(card: String, context: OperationContext) async throws
}

extension CounterStorage {
  /// Performs a confirmed operation; what it did, for the receipt screen.
  func record(_ operation: CounterOperation, context: OperationContext) async throws -> RecordOutcome {
    switch operation {
    case .enroll(let card, let referrer):
      return .enrolled(account: try await enroll(card: card, referrer: referrer, context: context))
    case .purchase(let card, let lines, let receipt, let provisional, _):
      return .earned(
        try await earn(card: card, lines: lines, receipt: receipt, provisional: provisional, context: context))
    case .redeem(let card, let item, _):
      let r = try await redeem(card: card, item: item, context: context)
      return .redeemed(item: item, points: r.points, balance: r.balance)
    case .refund(let receipt, let amount):
      let r = try await refund(receipt: receipt, amount: amount, context: context)
      return .refunded(receipt: receipt, reversed: r.reversed, balance: r.balance)
    case .block(let card):
      try await block(card: card, context: context)
      return .blocked(card: card)
    }
  }
}
