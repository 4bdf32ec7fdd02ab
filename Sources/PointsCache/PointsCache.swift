import Foundation
import GRDB
import LoyaltyEngine
import Synchronization

/// Who records an operation, where and when.
public struct OperationContext: Sendable {
  public var terminal: String
  public var `operator`: String
  public var at: UTCInstant

  public init(terminal: String, operator: String, at: UTCInstant) {
    self.terminal = terminal
    self.operator = `operator`
    self.at = at
  }
}

/// A terminal's offline points cache: one SQLite file (WAL) holding accounts, cards, lots, the
/// journal of points events (its own outbox and what it learnt from the ledger), receipts, the
/// program, an audit log and the sync checkpoint.
///
/// Every operation acknowledged to the cashier is one transaction, committed with
/// `synchronous = FULL` before the call returns: after a crash it is fully there or fully absent.
/// A refused operation writes nothing.
public final class PointsCache: Sendable {
  let pool: DatabasePool
  public let path: String
  /// The last program parsed, keyed by its JSON text, so operations do not re-parse it.
  let parsedProgram = Mutex<(json: String, program: LoyaltyProgram)?>(nil)

  /// Opens (creating and migrating if need be) the cache at `path`.
  public init(path: String) throws {
    var config = Configuration()
    config.foreignKeysEnabled = true
    config.busyMode = .timeout(5)
    config.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    self.path = path
    pool = try DatabasePool(path: path, configuration: config)
    try CacheSchema.migrator.migrate(pool)
  }

  // MARK: Program

  /// Installs a program (already validated) as the cache's current one.
  public func loadProgram(_ program: LoyaltyProgram, json: String, context: OperationContext) throws {
    try pool.write { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO program (id, version, json, loadedAt) VALUES (1, ?, ?, ?)",
        arguments: [program.version, json, context.at.seconds])
      try audit(
        db, context, "program load", subject: "version \(program.version)",
        detail: "\(program.currency), \(program.tiers.count) tiers")
    }
  }

  /// The current program, or `noProgram`.
  public func program() throws -> LoyaltyProgram {
    try pool.read { db in try program(db) }
  }

  func program(_ db: Database) throws -> LoyaltyProgram {
    guard let json = try String.fetchOne(db, sql: "SELECT json FROM program WHERE id = 1") else {
      throw RuleError(.noProgram, "no program loaded in this cache (loyalty-terminal program load FILE)")
    }
    if let cached = parsedProgram.withLock({ $0 }), cached.json == json { return cached.program }
    let program = try ProgramParser.parse(Data(json.utf8))
    parsedProgram.withLock { $0 = (json, program) }
    return program
  }

  // MARK: Shared steps

  func audit(_ db: Database, _ c: OperationContext, _ action: String, subject: String, detail: String) throws {
    var record = AuditRecord(
      seq: nil, at: c.at.seconds, terminal: c.terminal, operator: c.operator, action: action, subject: subject,
      detail: detail)
    try record.insert(db)
  }

  func card(_ db: Database, _ id: String) throws -> CardRecord {
    guard let card = try CardRecord.fetchOne(db, key: id) else {
      throw RuleError(.unknownCard, "card \(id) is not enrolled")
    }
    return card
  }

  func activeCard(_ db: Database, _ id: String) throws -> CardRecord {
    let card = try card(db, id)
    guard !card.blocked else {
      throw RuleError(.blockedCard, "card \(id) is blocked; the account is intact (ask HQ or link a new card)")
    }
    return card
  }

  func account(_ db: Database, _ id: String) throws -> AccountRecord {
    guard let account = try AccountRecord.fetchOne(db, key: id) else {
      throw RuleError(.unknownAccount, "account \(id) is not in this cache")
    }
    return account
  }

  /// The account's lots as the engine sees them.
  func lots(_ db: Database, account: AccountRecord) throws -> PointLots {
    let rows = try LotRecord.filter(LotRecord.Columns.accountId == account.id)
      .order(LotRecord.Columns.earnedAt, LotRecord.Columns.id).fetchAll(db)
    return PointLots(
      lots: rows.map {
        .init(
          earnedAt: UTCInstant(seconds: $0.earnedAt), expiresAt: UTCInstant(seconds: $0.expiresAt),
          remaining: $0.remaining)
      },
      deficit: account.deficit)
  }

  /// Writes the account's lots, balance and deficit back.
  func store(_ db: Database, lots: PointLots, account: inout AccountRecord) throws {
    try LotRecord.filter(LotRecord.Columns.accountId == account.id).deleteAll(db)
    for lot in lots.lots {
      var record = LotRecord(
        id: nil, accountId: account.id, earnedAt: lot.earnedAt.seconds, expiresAt: lot.expiresAt.seconds,
        remaining: lot.remaining)
      try record.insert(db)
    }
    account.balance = lots.balance
    account.deficit = lots.deficit
    try account.update(db)
  }

  /// Applies `points` (credit when positive, debit when negative) to an account's lots.
  func apply(_ db: Database, points: Int64, to accountId: String, at: UTCInstant, program: LoyaltyProgram) throws
    -> AccountRecord
  {
    var account = try account(db, accountId)
    var lots = try lots(db, account: account)
    if points >= 0 {
      lots.credit(points, at: at, expiryDays: program.expiryDays)
    } else {
      lots.debit(-points)
    }
    try store(db, lots: lots, account: &account)
    return account
  }

  func insertEntry(
    _ db: Database, id: String, kind: String, _ c: OperationContext, account: String, card: String?, points: Int64 = 0,
    amount: Int64? = nil, currency: String? = nil, receipt: String? = nil, item: String? = nil, reference: String? = nil
  ) throws -> EntryRecord {
    var entry = EntryRecord(
      seq: nil, id: id, kind: kind, at: c.at.seconds, terminal: c.terminal, operator: c.operator, accountId: account,
      card: card,
      points: points, amount: amount, currency: currency, receipt: receipt, item: item, reference: reference,
      origin: "local",
      synced: false)
    try entry.insert(db)
    return entry
  }

  /// Runs a write, turning the engine's refusals back into `RuleError` for the caller.
  func write<T>(_ body: (Database) throws -> T) throws -> T {
    try pool.write(body)
  }

  /// Entries recorded here and not yet handed to the ledger, oldest first.
  public func outbox() throws -> [EntryRecord] {
    try pool.read { db in
      try EntryRecord.fetchAll(db, sql: "SELECT * FROM entry WHERE origin = 'local' AND synced = 0 ORDER BY seq")
    }
  }

  /// SQLite's own integrity check plus the cache's invariants; empty when all is well.
  public func consistencyProblems() throws -> [String] {
    try pool.read { db in
      var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
      let badBalances = try String.fetchAll(
        db,
        sql: """
          SELECT a.id FROM account a
          WHERE a.balance != COALESCE((SELECT SUM(remaining) FROM lot WHERE accountId = a.id), 0) - a.deficit
             OR a.balance != COALESCE((SELECT SUM(points) FROM entry WHERE accountId = a.id), 0)
          """)
      problems += badBalances.map { "account \($0): balance differs from its lots or its entries" }
      let badReceipts = try String.fetchAll(
        db,
        sql: """
          SELECT r.id FROM receipt r
          WHERE (SELECT COUNT(*) FROM entry WHERE kind = 'earn' AND receipt = r.id) != 1
             OR r.reversed != -COALESCE((SELECT SUM(points) FROM entry WHERE kind = 'reversal' AND receipt = r.id), 0)
          """)
      problems += badReceipts.map { "receipt \($0): entries and receipt row disagree" }
      return problems
    }
  }
}
