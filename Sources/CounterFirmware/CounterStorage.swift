import LoyaltyCore

/// What the counter keeps on disk, seen through the operations a counter does. The firmware's
/// own port: the SQLite points cache is one implementation (`PointsCacheStorage`, in
/// CounterSimulation), a test's gated storage another.
public protocol CounterStorage: Sendable {
  func program() async throws -> LoyaltyProgram
  /// Whether this counter is on its own: it has never synced with HQ (its program was loaded
  /// locally), so nothing it records is promised to a sync.
  func isStandAlone() async throws -> Bool
  func identify(card: CardID, at: UTCInstant) async throws -> CardholderView
  /// A receipt named at a refund (`R9`, this terminal's; `T02/R9`, another's, found through
  /// `card`, its customer's, tapped first).
  /// `at`: the counter's clock (a look-up at HQ for the card is signed with it).
  func receipt(_ number: String, terminal: String, card: CardID?, at: UTCInstant) async throws -> ReceiptStatus
  /// Performs a confirmed operation; with `dryRun`, runs its decision in a transaction rolled
  /// back, so nothing is written: what it did (or would do), for the confirm and receipt screens.
  func perform(_ operation: CounterOperation, context: OperationContext, dryRun: Bool) async throws -> RecordOutcome
}
