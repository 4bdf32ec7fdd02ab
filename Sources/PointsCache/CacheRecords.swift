import GRDB

/// A cardholder's account. `balance` and `deficit` mirror the account's lots.
struct AccountRecord: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "account"
  var id: String
  var enrolledAt: Int64
  var referrerAccountId: String?
  var referralSettled: Bool
  var balance: Int64
  var deficit: Int64

  enum Columns {
    static let id = Column(CodingKeys.id)
    static let referralSettled = Column(CodingKeys.referralSettled)
  }
}

/// A card and the account it belongs to.
struct CardRecord: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "card"
  var id: String
  var accountId: String
  var blocked: Bool
  var linkedAt: Int64

  enum Columns {
    static let id = Column(CodingKeys.id)
    static let accountId = Column(CodingKeys.accountId)
  }
}

/// An open expiry lot.
struct LotRecord: Codable, FetchableRecord, MutablePersistableRecord {
  static let databaseTableName = "lot"
  var id: Int64?
  var accountId: String
  var earnedAt: Int64
  var expiresAt: Int64
  var remaining: Int64

  enum Columns {
    static let accountId = Column(CodingKeys.accountId)
    static let earnedAt = Column(CodingKeys.earnedAt)
    static let id = Column(CodingKeys.id)
  }

  mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A points event: the terminal's own (the outbox until synced) or learnt from the ledger.
public struct EntryRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
  public static let databaseTableName = "entry"
  public var seq: Int64?
  public var id: String
  public var kind: String
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
  public var origin: String
  public var synced: Bool

  public enum Columns {
    public static let accountId = Column(CodingKeys.accountId)
    public static let seq = Column(CodingKeys.seq)
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }
}

/// A purchase receipt, with what has been refunded and reversed of it.
struct ReceiptRecord: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "receipt"
  var id: String
  var accountId: String
  var at: Int64
  var amount: Int64
  var points: Int64
  var refunded: Int64
  var reversed: Int64
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
