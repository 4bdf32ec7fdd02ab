import Foundation
import GRDB
import LoyaltyCore

/// Where a terminal's replica of HQ's account states stands: the epoch it was last brought to.
public struct ReplicaPosition: Sendable, Hashable {
  public var seq: Int64
  public var accounts: Int
  public var liability: Int64
  public var digest: StateDigest
  public var programChecksum: String?
  /// The epoch as HQ signed it (JSON), kept as received.
  public var epoch: String
  /// The region whose members the replica holds (a partial replica), or nil: every account.
  public var region: String?
}

/// What an epoch vouches for, that a delta applied must give exactly.
public struct ReplicaTarget: Sendable {
  public var seq: Int64
  public var accounts: Int
  public var liability: Int64
  public var checksum: String
  public var programChecksum: String?
  public var epoch: String
  /// A region's delta: the ledger's UTC day the epoch draws the regions on (a member whose last
  /// entry there is too old for the region's days at it leaves the replica).
  public var day: Int64?

  public init(
    seq: Int64, accounts: Int, liability: Int64, checksum: String, programChecksum: String?, epoch: String,
    day: Int64? = nil
  ) {
    self.seq = seq
    self.accounts = accounts
    self.liability = liability
    self.checksum = checksum
    self.programChecksum = programChecksum
    self.epoch = epoch
    self.day = day
  }
}

/// A state delta as the cache applies it: the epoch it follows (`since`; every account when
/// `full`), the program's text when it changed, what the epoch vouches for, and the states,
/// streamed in parts (each sorted by account id, in its canonical encoding).
public struct StateDeltaInput {
  public var since: Int64
  public var full: Bool
  public var program: String?
  public var target: ReplicaTarget
  public var states: (_ emit: ([[UInt8]]) throws -> Void) throws -> Void
  /// The checksum of the program the cache holds, as the terminal computed it when it asked for
  /// the delta (HQ leaves the text out when it is the epoch's); nil: the replica's last epoch's.
  public var heldProgram: String?
  /// The region whose members the delta carries (each frame its member's day, then its state), or
  /// nil: every account.
  public var region: String?

  public init(
    since: Int64, full: Bool, program: String?, target: ReplicaTarget, heldProgram: String? = nil,
    region: String? = nil, states: @escaping (_ emit: ([[UInt8]]) throws -> Void) throws -> Void
  ) {
    self.region = region
    self.since = since
    self.full = full
    self.program = program
    self.target = target
    self.heldProgram = heldProgram
    self.states = states
  }
}

/// A delta the replica refused: nothing of it was applied.
public struct ReplicaError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

extension PointsCache {
  /// The replica's epoch, or nil before its first delta.
  public func replicaPosition() throws -> ReplicaPosition? {
    try pool.read { db in try Self.replicaPosition(db) }
  }

  /// Nil too when the row is damaged (a value of the wrong kind): the next sync then takes every
  /// state afresh.
  static func replicaPosition(_ db: Database) throws -> ReplicaPosition? {
    guard
      let row = try Row.fetchOne(
        db,
        sql: "SELECT seq, digest, accounts, liability, programChecksum, epoch, region FROM replica_epoch WHERE id = 1")
    else { return nil }
    func value<T: DatabaseValueConvertible>(_ column: String, _: T.Type) -> T? {
      T.fromDatabaseValue(row[column] as DatabaseValue)
    }
    guard let seq = value("seq", Int64.self), let accounts = value("accounts", Int.self),
      let liability = value("liability", Int64.self), let data = value("digest", Data.self),
      let digest = StateDigest(bytes: Array(data)), let epoch = value("epoch", String.self)
    else { return nil }
    return ReplicaPosition(
      seq: seq, accounts: accounts, liability: liability, digest: digest,
      programChecksum: value("programChecksum", String.self), epoch: epoch, region: value("region", String.self))
  }

  /// The state of `card`'s account as this counter knows it (HQ's, with its own unsynced entries on
  /// top), or nil when the card is not known here.
  public func accountState(card: String) throws -> AccountState? {
    try pool.read { db in
      try cardFacts(db, card).flatMap { try CacheWorkingSet.load(db, account: $0.account) }
    }
  }

  /// The program's JSON text as this cache holds it, or nil.
  public func programText() throws -> String? {
    try pool.read { db in try String.fetchOne(db, sql: "SELECT json FROM program WHERE id = 1") }
  }

  /// Every account state HQ's epoch vouched for, as the replica holds them, by account.
  public func replicaStates() throws -> [String: AccountState] {
    try pool.read { db in
      var out: [String: AccountState] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT id, state FROM account WHERE state IS NOT NULL") {
        let s = try StoredState.decode(row["state"], id: row["id"])
        out[s.id] = s
      }
      return out
    }
  }

  /// How many entries of terminals other than `terminal` the cache keeps (none in a replica of
  /// states: entries learnt from the ledger belong to the model before it).
  public func foreignEntryCount(terminal: String) throws -> Int {
    try pool.read { db in
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM entry WHERE origin = 'ledger' OR terminal != ?", arguments: [terminal]) ?? 0
    }
  }

  /// Folds the write-ahead log into the database file (its size is then the cache's).
  public func checkpointWAL() throws {
    try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
  }

  /// Whether the cache is a replica of states (it has applied an epoch): its entry table then
  /// holds this terminal's own entries only.
  static func isReplica(_ db: Database) throws -> Bool {
    try Int.fetchOne(db, sql: "SELECT 1 FROM replica_epoch WHERE id = 1") != nil
  }

  /// Whether `terminal` is in a region (`ProgramRegions`) and its replica holds no HQ state of
  /// `account`: what it knows of it is its own entries since its last sync.
  static func isUnheld(_ db: Database, account: String, terminal: String, program: LoyaltyProgram) throws -> Bool {
    guard program.regions?.region(of: terminal) != nil, try isReplica(db) else { return false }
    // An account looked up on demand since the last sync is decided on as HQ's audit knows it.
    return try db.cachedOne(
      Int64.self,
      sql: """
        SELECT 1 FROM account WHERE id = ?1 AND state IS NULL
          AND NOT EXISTS (SELECT 1 FROM looked_up WHERE accountId = ?1)
        """, arguments: [account]) != nil
  }

  /// This terminal's entries on `account` HQ does not hold yet, oldest first.
  static func unsynced(_ db: Database, account: String) throws -> [Entry] {
    try db.cachedAll(
      EntryRecord.self, sql: "SELECT * FROM entry WHERE accountId = ? AND origin = 'local' AND synced = 0 ORDER BY seq",
      arguments: [account]
    ).map(\.entry)
  }

  /// Sets an account to `base` with this terminal's unsynced entries on top (`hasUnsynced`:
  /// whether it has any), through `set`, from what its row holds now.
  static func rebase(
    _ db: Database, _ id: String, base: AccountState?, bytes: Data?, hasUnsynced: Bool,
    into set: inout CacheWorkingSet, rules: StateRules
  ) throws {
    let before = try CacheWorkingSet.load(db, account: id).map(StateKeys.init)
    let unsynced = hasUnsynced ? try Self.unsynced(db, account: id) : []
    set.rebase(id, base: base, bytes: bytes, unsynced: unsynced, before: before, rules: rules)
  }

  /// Forgets an account neither HQ nor this terminal's outbox holds (its enrolment refused, or
  /// learnt on history HQ's restore lost): the references to it, its cards and receipts go, and
  /// its row — or, while this terminal's journal still names it, the row left empty.
  static func forget(_ db: Database, account id: String) throws {
    try db.execute(sql: "DELETE FROM looked_up WHERE accountId = ?", arguments: [id])
    try db.execute(sql: "UPDATE account SET referrerAccountId = NULL WHERE referrerAccountId = ?", arguments: [id])
    // Its receipts' index entries, by the receipts its state holds (the index is by receipt only).
    let own = try ReceiptIndex.ownPrefix(db)
    for receipt in try CacheWorkingSet.load(db, account: id)?.receipts.keys.sorted() ?? []
    where ReceiptIndex.isOwn(receipt, own) {
      try db.cachedExecute(
        sql: "DELETE FROM receipt_index WHERE id = ? AND accountId = ?",
        arguments: [receipt, StoredAccountID.value(id)])
    }
    try db.execute(sql: "DELETE FROM card WHERE accountId = ?", arguments: [id])
    if try Int.fetchOne(db, sql: "SELECT 1 FROM entry WHERE accountId = ? LIMIT 1", arguments: [id]) == nil {
      try db.execute(sql: "DELETE FROM account WHERE id = ?", arguments: [id])
    } else {
      try db.execute(
        sql: """
          UPDATE account SET balance = 0, deficit = 0, referralSettled = 0, state = NULL, working = ?
          WHERE id = ?
          """, arguments: [StoredState.value(Data(AccountStateEncoding.encode(AccountState(id: id))), id: id), id])
    }
  }
}
