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

/// What applying a delta did.
public struct ReplicaApplication: Sendable {
  public var states: Int
  public var added: Int
  public var position: ReplicaPosition
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

  /// One account's state as the replica holds it, or nil.
  public func replicaState(_ id: String) throws -> AccountState? {
    try pool.read { db in
      try (Data.fetchOne(db, sql: "SELECT state FROM replica_state WHERE id = ?", arguments: [id])).map {
        try AccountStateEncoding.decode($0)
      }
    }
  }

  /// Every state the replica holds, by account.
  public func replicaStates() throws -> [String: AccountState] {
    try pool.read { db in
      var out: [String: AccountState] = [:]
      for data in try Data.fetchAll(db, sql: "SELECT state FROM replica_state") {
        let s = try AccountStateEncoding.decode(data)
        out[s.id] = s
      }
      return out
    }
  }

  /// Applies a delta in one transaction: the states `learn` streams in (sorted by id, each in its
  /// canonical encoding) replace the replica's — all of them when `full` — and the digest, the
  /// count and the liability move state by state. It commits only when they equal `target`'s;
  /// otherwise, or when the delta does not start at the replica's epoch (`since`), nothing changes
  /// and the error says why.
  public func applyStateDelta(
    since: Int64, full: Bool, program: String?, target: ReplicaTarget, at time: UTCInstant,
    states learn: (_ emit: ([[UInt8]]) throws -> Void) throws -> Void
  ) throws -> ReplicaApplication {
    try pool.write { db in
      let current = try Self.replicaPosition(db)
      if !full {
        guard let current, current.seq == since else {
          throw ReplicaError(
            "the delta follows epoch \(since), the replica is at \(current.map { "epoch \($0.seq)" } ?? "no epoch"): "
              + "nothing applied")
        }
      }
      if program == nil, let wanted = target.programChecksum, current?.programChecksum != wanted {
        throw ReplicaError("the delta names a program (\(wanted.prefix(12))…) it does not carry: nothing applied")
      }
      guard target.seq >= since else { throw ReplicaError("the delta goes back from \(since) to \(target.seq)") }
      var digest = full ? StateDigest() : current!.digest
      var accounts = full ? 0 : current!.accounts
      var liability = full ? 0 : current!.liability
      if full { try db.execute(sql: "DELETE FROM replica_state") }
      let old = try db.makeStatement(sql: "SELECT state, balance FROM replica_state WHERE id = ?")
      let upsert = try db.makeStatement(
        sql: "INSERT OR REPLACE INTO replica_state (id, state, balance) VALUES (?, ?, ?)")
      var count = 0
      var added = 0
      var previous: String?
      try learn { part in
        for bytes in part {
          let state: AccountState
          do throws(RuleError) { state = try AccountStateEncoding.decode(bytes) } catch {
            throw ReplicaError("state \(count + 1) of the delta: \(error.message): nothing applied")
          }
          guard previous.map({ $0 < state.id }) ?? true else {
            throw ReplicaError("the delta's states are not sorted by account (\(state.id)): nothing applied")
          }
          previous = state.id
          if let row = try Row.fetchOne(old, arguments: [state.id]) {
            let data: Data = row["state"]
            digest.remove(Array(data))
            liability = try Self.add(liability, -(row["balance"] as Int64), state.id)
          } else {
            accounts += 1
            added += 1
          }
          digest.add(bytes)
          liability = try Self.add(liability, state.balance, state.id)
          try upsert.execute(arguments: [state.id, Data(bytes), state.balance])
          count += 1
        }
      }
      guard accounts == target.accounts, liability == target.liability, digest.checksum == target.checksum else {
        throw ReplicaError(
          "the delta does not give the epoch HQ vouched for (seq \(target.seq)): \(accounts) accounts, "
            + "\(liability) points, digest \(digest.checksum.prefix(12))… where the epoch says \(target.accounts), "
            + "\(target.liability), \(target.checksum.prefix(12))…: nothing applied")
      }
      let keptProgram = try String.fetchOne(db, sql: "SELECT program FROM replica_epoch WHERE id = 1")
      try db.execute(
        sql: """
          INSERT OR REPLACE INTO replica_epoch
            (id, seq, digest, accounts, liability, programChecksum, program, epoch, appliedAt)
          VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          target.seq, Data(digest.bytes), accounts, liability, target.programChecksum, program ?? keptProgram,
          target.epoch, time.seconds,
        ])
      let position = ReplicaPosition(
        seq: target.seq, accounts: accounts, liability: liability, digest: digest,
        programChecksum: target.programChecksum, epoch: target.epoch)
      return ReplicaApplication(states: count, added: added, position: position)
    }
  }

  static func add(_ a: Int64, _ b: Int64, _ account: String) throws(ReplicaError) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    guard !overflow else { throw ReplicaError("the points outstanding overflow at account \(account)") }
    return sum
  }
}
