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
}

/// What an epoch vouches for, that a delta applied must give exactly.
public struct ReplicaTarget: Sendable {
  public var seq: Int64
  public var accounts: Int
  public var liability: Int64
  public var checksum: String
  public var programChecksum: String?
  public var epoch: String

  public init(seq: Int64, accounts: Int, liability: Int64, checksum: String, programChecksum: String?, epoch: String) {
    self.seq = seq
    self.accounts = accounts
    self.liability = liability
    self.checksum = checksum
    self.programChecksum = programChecksum
    self.epoch = epoch
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

  public init(
    since: Int64, full: Bool, program: String?, target: ReplicaTarget,
    states: @escaping (_ emit: ([[UInt8]]) throws -> Void) throws -> Void
  ) {
    self.since = since
    self.full = full
    self.program = program
    self.target = target
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

  static func replicaPosition(_ db: Database) throws -> ReplicaPosition? {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT seq, digest, accounts, liability, programChecksum, epoch FROM replica_epoch WHERE id = 1")
    else { return nil }
    let bytes: [UInt8] = (row["digest"] as Data?).map { Array($0) } ?? []
    guard let digest = StateDigest(bytes: bytes) else { throw ReplicaError("the replica's digest is damaged") }
    return ReplicaPosition(
      seq: row["seq"], accounts: row["accounts"], liability: row["liability"], digest: digest,
      programChecksum: row["programChecksum"], epoch: row["epoch"])
  }

  /// Every account state HQ's epoch vouched for, as the replica holds them, by account.
  public func replicaStates() throws -> [String: AccountState] {
    try pool.read { db in
      var out: [String: AccountState] = [:]
      for data in try Data.fetchAll(db, sql: "SELECT state FROM account WHERE state IS NOT NULL") {
        let s = try AccountStateEncoding.decode(data)
        out[s.id] = s
      }
      return out
    }
  }

  /// How many entries of other terminals the cache keeps (none in a replica of states: entries
  /// learnt from the ledger belong to the model before it); nil before the cache has an owner.
  public func foreignEntryCount(terminal: String) throws -> Int? {
    try pool.read { db in
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM entry WHERE origin = 'ledger' OR terminal != ?", arguments: [terminal])
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
    into set: inout CacheWorkingSet, expiryDays: Int
  ) throws {
    let before = try CacheWorkingSet.load(db, account: id)
    let unsynced = hasUnsynced ? try Self.unsynced(db, account: id) : []
    set.rebase(id, base: base, bytes: bytes, unsynced: unsynced, before: before, expiryDays: expiryDays)
  }
}
