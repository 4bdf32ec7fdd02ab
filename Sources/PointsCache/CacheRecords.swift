import Foundation
import GRDB
import LoyaltyCore

/// Entry kinds are stored by their raw value; an unknown one in a row is a decoding error.
extension Entry.Kind: Codable, DatabaseValueConvertible {}

/// A row of the `entry` table: the core's `Entry` as this cache keeps it, with who recorded it,
/// where it came from and whether the ledger has it.
public struct EntryRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
  /// Recorded at this terminal (its outbox until synced), or learnt from the ledger.
  public enum Origin: String, Codable, DatabaseValueConvertible, Sendable { case local, ledger }

  public static let databaseTableName = "entry"
  public var seq: Int64?
  public var id: String
  public var kind: Entry.Kind
  public var at: Int64
  public var terminal: String
  public var `operator`: String
  public var accountId: String
  public var card: String?
  public var points: Int64
  public var amount: Int64?
  public var currency: String?
  public var receipt: String?
  public var item: String?
  public var reference: String?
  public var origin: Origin
  public var synced: Bool
  public var lines: String?
  public var programVersion: Int64?
  public var tier: String?
  public var basis: Int64?
  /// An earn's return window in days (`Entry.pendingDays`); nil on rows from before it was recorded.
  public var pendingDays: Int?
  /// A card's signature over the entry (`Entry.proof`).
  public var proof: String?

  public enum Columns {
    public static let accountId = Column(CodingKeys.accountId)
    public static let seq = Column(CodingKeys.seq)
  }

  /// The row of an account entry (one with an account).
  init(_ e: Entry, account: String, operator: String, origin: Origin) {
    id = e.id
    kind = e.kind
    at = e.at.seconds
    terminal = e.terminal
    self.operator = `operator`
    accountId = account
    card = e.card
    points = e.points ?? 0
    amount = e.amount
    currency = e.currency
    receipt = e.receipt
    item = e.data
    reference = e.ref
    self.origin = origin
    synced = origin == .ledger
    lines = e.lines.map(PurchaseLine.encode)
    programVersion = e.version
    tier = e.tier
    basis = e.basis
    pendingDays = e.pendingDays
    proof = e.proof
  }

  /// The entry itself.
  public var entry: Entry {
    Entry(
      kind: kind, id: id, at: UTCInstant(seconds: at), terminal: terminal, account: accountId, card: card,
      points: points, amount: amount, currency: currency, receipt: receipt, ref: reference, data: item,
      lines: lines.flatMap(PurchaseLine.decode), version: programVersion, tier: tier,
      pendingDays: pendingDays, basis: basis, proof: proof)
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }

  /// Inserts the row through one cached statement with its arguments in column order: the same
  /// row `insert(db)` writes, without the encoder (a sync writes millions).
  func insertFast(_ db: Database) throws {
    try db.cachedExecute(
      sql: """
        INSERT INTO entry (id, kind, at, terminal, operator, accountId, card, points, amount, currency, receipt,
          item, reference, origin, synced, lines, programVersion, tier, basis, pendingDays, proof)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        id, kind.rawValue, at, terminal, `operator`, accountId, card, points, amount, currency, receipt, item,
        reference, origin.rawValue, synced, lines, programVersion, tier, basis, pendingDays, proof,
      ])
  }
}

/// A row of the `refusal` table: an entry of this terminal that HQ's admission refused, as the
/// `entry` table held it (recorded here, never synced) under its local `seq`, with HQ's reason.
/// It is out of the outbox and out of its account (rebuilt without it); the ledger's entry of
/// the same id, if another counter recorded one, is an ordinary row of `entry`.
public struct RefusalRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
  public static let databaseTableName = "refusal"
  public var seq: Int64
  public var id: String
  public var kind: Entry.Kind
  public var at: Int64
  public var terminal: String
  public var `operator`: String
  public var accountId: String
  public var card: String?
  public var points: Int64
  public var amount: Int64?
  public var currency: String?
  public var receipt: String?
  public var item: String?
  public var reference: String?
  public var lines: String?
  public var programVersion: Int64?
  public var tier: String?
  public var basis: Int64?
  public var pendingDays: Int?
  public var proof: String?
  /// Why HQ's admission refused the entry, as its answer gave it.
  public var reason: String

  public enum Columns {
    public static let accountId = Column(CodingKeys.accountId)
    public static let seq = Column(CodingKeys.seq)
  }

  /// The refused entry as the `entry` table held it (recorded here, never synced).
  public var record: EntryRecord {
    var r = EntryRecord(entry, account: accountId, operator: `operator`, origin: .local)
    r.seq = seq
    (r.points, r.item, r.lines) = (points, item, lines)  // the columns as they are, not re-encoded
    return r
  }

  /// The refused entry itself.
  public var entry: Entry {
    Entry(
      kind: kind, id: id, at: UTCInstant(seconds: at), terminal: terminal, account: accountId, card: card,
      points: points, amount: amount, currency: currency, receipt: receipt, ref: reference, data: item,
      lines: lines.flatMap(PurchaseLine.decode), version: programVersion, tier: tier,
      pendingDays: pendingDays, basis: basis, proof: proof)
  }

  /// Moves this terminal's unsynced entry `id` from `entry` to `refusal` with `reason`, in the
  /// caller's transaction. Returns its account, or nil when no such entry waits in the outbox.
  static func move(_ db: Database, id: String, reason: String) throws -> String? {
    guard
      let account = try db.cachedOne(
        String.self, sql: "SELECT accountId FROM entry WHERE id = ? AND origin = 'local' AND synced = 0",
        arguments: [id])
    else { return nil }
    try db.cachedExecute(
      sql: """
        INSERT INTO refusal (seq, id, kind, at, terminal, operator, accountId, card, points, amount, currency,
          receipt, item, reference, lines, programVersion, tier, basis, pendingDays, proof, reason)
        SELECT seq, id, kind, at, terminal, operator, accountId, card, points, amount, currency, receipt, item,
          reference, lines, programVersion, tier, basis, pendingDays, proof, ?
        FROM entry WHERE id = ? AND origin = 'local' AND synced = 0
        """,
      arguments: [reason, id])
    try db.cachedExecute(
      sql: "DELETE FROM entry WHERE id = ? AND origin = 'local' AND synced = 0", arguments: [id])
    return account
  }
}

/// One line of the audit log: what was done, when, where and by whom.
struct AuditRecord: Codable, FetchableRecord, MutablePersistableRecord {
  static let databaseTableName = "audit"
  var seq: Int64?
  var at: Int64
  var terminal: String
  var `operator`: String
  var action: String
  var subject: String
  var detail: String
}
