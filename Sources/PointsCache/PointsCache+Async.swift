import GRDB
import LoyaltyCore

extension PointsCache {
  /// The counter's operations through GRDB's async reader and writer: the calling task suspends
  /// while SQLite waits for the disk, and no thread is blocked. Same transactions as the
  /// blocking forms the command line uses.
  public var asynchronous: AsyncOperations { AsyncOperations(cache: self) }

  /// See `PointsCache.asynchronous`. Each operation that writes takes `dryRun`: its decision,
  /// journal and reducer run in a transaction that is rolled back, so the counter can show what
  /// an operation will do, or why it is refused, before the cashier confirms it.
  public struct AsyncOperations: Sendable {
    let cache: PointsCache

    public func program() async throws -> LoyaltyProgram {
      try await cache.pool.read { db in try cache.program(db) }
    }

    /// Whether this cache has never synced with HQ: a stand-alone counter's (its program was
    /// loaded locally; a chained counter joins by a first sync).
    public func isStandAlone() async throws -> Bool {
      try await cache.pool.read { db in
        try Int64.fetchOne(db, sql: "SELECT 1 FROM checkpoint WHERE id = 1") == nil
      }
    }

    public func identify(card: String, at t: UTCInstant) async throws -> CardholderView {
      try await cache.pool.read { db in try cache.identify(db, card: card, at: t) }
    }

    /// What a look-up of `card` would ask HQ for (`PointsCache.lookUpQuestion`).
    public func lookUpQuestion(card: String) async throws -> (basis: Int64, held: String?)? {
      try await cache.pool.read { db in try cache.lookUpQuestion(db, card: card) }
    }

    /// A receipt named at a refund (`R9`: this terminal's; `T02/R9`: as it is), found as the
    /// refund finds it (`PointsCache.refundable`: with `card`, the customer's, in its account), or
    /// the refusal saying why not.
    public func receipt(_ number: String, terminal: String, card: String? = nil) async throws -> (
      id: String, receipt: Receipt
    ) {
      let id = try Identities.receiptReference(number, terminal: terminal)
      return try await cache.pool.read { db in
        (id, try cache.refundable(db, id: id, card: card, terminal: terminal))
      }
    }

    public func enroll(
      card: String, referrer: String?, cardKey: String? = nil, context c: OperationContext, dryRun: Bool = false
    ) async throws -> String {
      try await write(dryRun) { db in
        try cache.enroll(db, card: card, referrer: referrer, cardKey: cardKey, context: c)
      }
    }

    public func earn(
      card: String, lines: [PurchaseLine], receipt: String?, provisional: Bool = false, context c: OperationContext,
      dryRun: Bool = false
    ) async throws -> EarnReceipt {
      try await write(dryRun) { db in
        try cache.earn(db, card: card, lines: lines, receipt: receipt, provisional: provisional, context: c)
      }
    }

    public func redeem(
      card: String, item: String, proof: CardProof? = nil, context c: OperationContext, dryRun: Bool = false
    ) async throws -> (points: Int64, balance: Int64) {
      // The confirm screen's dry run asks no card to sign yet: the card-proof rule is checked
      // when the redemption is recorded, with the card's signature.
      try await write(dryRun) { db in
        let r = try cache.redeem(db, card: card, item: item, proof: proof, draft: dryRun, context: c)
        return (r.points, r.balance)
      }
    }

    /// The public key (`CardProof`, hex) recorded for `card`, or nil when it cannot sign or is unknown.
    public func publicKey(card: String) async throws -> String? {
      try await cache.pool.read { db in
        try CardIndex.publicKey(db, card: card)
      }
    }

    /// The redemption's entry as it would be recorded now, without its card's signature: what
    /// the card signs (`CardProof.challenge`), and whether the account holds the card's public
    /// key (only then can its signature count). Nothing is written.
    public func redeemDraft(card: String, item: String, context c: OperationContext) async throws -> (
      entry: Entry, cardCanSign: Bool
    ) {
      try await write(true) { db in
        let entry = try cache.redeem(db, card: card, item: item, draft: true, context: c).entry
        let key = try CardIndex.publicKey(db, card: card)
        return (entry, key != nil)
      }
    }

    public func refund(
      receipt: String, amount: Int64, card: String? = nil, context c: OperationContext, dryRun: Bool = false
    ) async throws -> (reversed: Int64, balance: Int64) {
      try await write(dryRun) { db in try cache.refund(db, receipt: receipt, amount: amount, card: card, context: c) }
    }

    public func block(card: String, context c: OperationContext, dryRun: Bool = false) async throws {
      try await write(dryRun) { db in try cache.block(db, card: card, context: c) }
    }

    /// `body` in a write transaction, committed, or rolled back for a dry run.
    func write<T: Sendable>(_ dryRun: Bool, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
      guard dryRun else { return try await cache.pool.write(body) }
      return try await cache.pool.writeWithoutTransaction { db in
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(db)
          return .rollback
        }
        return result!
      }
    }
  }
}
