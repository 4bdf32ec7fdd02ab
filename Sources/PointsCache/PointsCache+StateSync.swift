import Foundation
import GRDB
import LoyaltyCore

extension PointsCache {
  /// A nightly sync in the state model, in one transaction: this terminal's entries HQ refused
  /// move to `refusal`; the ones HQ's answer says it holds (`claimed`: an answer HQ signed, or
  /// over the file path this terminal's own admission) are marked synced; the delta's states
  /// replace the accounts' base states (all of them when `full`), each account's rows becoming
  /// its new state with this terminal's entries not yet synced applied on top; the digest, the
  /// count and the liability move state by state and the transaction commits only when they equal
  /// the epoch's. Otherwise — or when the delta does not follow the replica's epoch — nothing
  /// changes and the error says why. The checkpoint moves to `position` (the epoch's).
  public func applyStateSync(
    _ delta: StateDeltaInput, claimed ids: Set<String>, refusedByHQ: [EntryRefusal] = [], position: SyncPosition,
    at time: UTCInstant
  ) throws -> SyncApplication {
    try pool.write { db in
      let pages = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
      try db.execute(sql: "PRAGMA cache_size = -32768")
      defer { try? db.execute(sql: "PRAGMA cache_size = \(pages)") }
      try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
      let current = try Self.replicaPosition(db)
      let target = delta.target
      if !delta.full {
        guard let current, current.seq == delta.since else {
          throw ReplicaError(
            "the delta follows epoch \(delta.since), this cache is at \(current.map { "epoch \($0.seq)" } ?? "none"): "
              + "nothing applied")
        }
        guard current.region == delta.region else {
          throw ReplicaError(
            "the delta is of \(Self.describe(region: delta.region)), this replica holds "
              + "\(Self.describe(region: current.region)): nothing applied")
        }
      }
      guard target.seq >= delta.since else {
        throw ReplicaError("the delta goes back from epoch \(delta.since) to \(target.seq): nothing applied")
      }
      if delta.program == nil, let wanted = target.programChecksum,
        (delta.heldProgram ?? current?.programChecksum) != wanted
      {
        throw ReplicaError("the delta names a program (\(wanted.prefix(12))…) it does not carry: nothing applied")
      }
      if let json = delta.program {
        let program = try ProgramParser.parse(Data(json.utf8))
        try db.cachedExecute(
          sql: "INSERT OR REPLACE INTO program (id, version, json, loadedAt) VALUES (1, ?, ?, ?)",
          arguments: [program.version, json, time.seconds])
      }
      let programNow = try? program(db)
      let rules = StateRules(programNow)
      // 1. This terminal's entries: refused ones out of the outbox, claimed ones synced.
      var touched: Set<String> = []
      for refusal in refusedByHQ {
        if let account = try RefusalRecord.move(db, id: refusal.id, reason: refusal.reason) { touched.insert(account) }
      }
      var marked = 0
      for id in ids.sorted() {
        guard
          let account = try db.cachedOne(
            String.self, sql: "SELECT accountId FROM entry WHERE id = ? AND origin = 'local' AND synced = 0",
            arguments: [id])
        else { continue }
        try db.cachedExecute(sql: "UPDATE entry SET synced = 1 WHERE id = ? AND origin = 'local'", arguments: [id])
        marked += 1
        touched.insert(account)
      }
      let withUnsynced = Set(
        try String.fetchAll(db, sql: "SELECT DISTINCT accountId FROM entry WHERE origin = 'local' AND synced = 0"))
      // 2. The states: base, digest and rows, part by part.
      var digest = delta.full ? StateDigest() : current!.digest
      var accounts = delta.full ? 0 : current!.accounts
      var liability: Int64 = delta.full ? 0 : current!.liability
      if delta.full {
        // Learnt entries of the old model, and every base: what the delta does not name is not HQ's.
        try db.execute(sql: "DELETE FROM entry WHERE origin = 'ledger'")
        try db.execute(sql: "UPDATE account SET working = state WHERE working IS NULL")
        try db.execute(sql: "UPDATE account SET state = NULL, regionDay = NULL WHERE state IS NOT NULL")
      }
      var count = 0
      var previous: String?
      var overdrawn: [String: Int64] = [:]
      var left = 0
      try delta.states { part in
        var set = CacheWorkingSet(capacity: part.count)
        for frame in part {
          var bytes = frame[...]
          var day: Int64?
          if delta.region != nil {
            guard let split = RegionFrame.split(frame) else {
              throw ReplicaError("state \(count + 1) of the region's delta has no day: nothing applied")
            }
            (day, bytes) = (split.day, split.state)
          }
          let state: AccountState
          do throws(RuleError) { state = try AccountStateEncoding.decode(bytes) } catch {
            throw ReplicaError("state \(count + 1) of the delta: \(error.message): nothing applied")
          }
          guard previous.map({ $0 < state.id }) ?? true else {
            throw ReplicaError("the delta's states are not sorted by account (at \(state.id)): nothing applied")
          }
          previous = state.id
          // The account's row once: its old base (out of the digest) and what the counter knew.
          // Only its keys and balance are read from the old bytes (`AccountStateEncoding.keys`).
          let row = try db.cachedRow(sql: "SELECT state, working FROM account WHERE id = ?", arguments: [state.id])
          let oldBytes = (row?["state"] as Data?).map { StoredState.canonical($0, id: state.id) }
          let oldBase = try oldBytes.map { try AccountStateEncoding.keys($0) }
          if !delta.full, let oldBase, let oldBytes {
            digest.remove(oldBytes)
            liability = try Self.add(liability, -oldBase.balance, state.id)
          } else {
            accounts += 1
          }
          digest.add(Array(bytes))
          liability = try Self.add(liability, state.balance, state.id)
          if let day { set.regionDays[state.id] = day }
          var before: StateKeys?
          if let row {
            before = try (row["working"] as Data?).map { try StoredState.keys($0, id: state.id) } ?? oldBase
            if before == nil { before = StateKeys.none }
          }
          let unsynced = withUnsynced.contains(state.id) ? try Self.unsynced(db, account: state.id) : []
          set.rebase(
            state.id, base: state, bytes: Data(bytes), unsynced: unsynced, before: before, rules: rules)
          touched.remove(state.id)
          count += 1
        }
        try set.store(db)
        for (id, s) in set.states where s.balance < 0 { overdrawn[id] = s.balance }
      }
      // A partial replica: members whose last entry in the region is too old at the epoch's day
      // leave it (their rows follow below, as those of accounts HQ no longer vouches for).
      if let region = delta.region {
        guard let day = target.day, let regions = programNow?.regions, regions.shops[region] != nil else {
          throw ReplicaError(
            "the delta is of region \(region), which the program this cache holds does not name: nothing applied")
        }
        let leaving = try Row.fetchAll(
          db, sql: "SELECT id, state FROM account WHERE state IS NOT NULL AND regionDay <= ?",
          arguments: [day - Int64(regions.days)])
        left = leaving.count
        for row in leaving {
          let id: String = row["id"]
          let bytes = StoredState.canonical(row["state"], id: id)
          let state = try AccountStateEncoding.keys(bytes)
          digest.remove(bytes)
          liability = try Self.add(liability, -state.balance, id)
          accounts -= 1
          try db.cachedExecute(
            sql: "UPDATE account SET working = COALESCE(working, state), state = NULL, regionDay = NULL WHERE id = ?",
            arguments: [id])
          touched.insert(id)
        }
      }
      guard accounts == target.accounts, liability == target.liability, digest.checksum == target.checksum else {
        throw ReplicaError(
          "the states received do not give the epoch HQ vouched for (seq \(target.seq)): \(accounts) accounts, "
            + "\(liability) points, digest \(digest.checksum.prefix(12))… where the epoch says \(target.accounts), "
            + "\(target.liability), \(target.checksum.prefix(12))…: nothing applied")
      }
      // 3. Accounts the delta did not name whose own entries changed (refused or synced), and
      // after a bootstrap the accounts HQ does not know: their base with what is still unsynced.
      var rest = touched
      if delta.full { rest.formUnion(try String.fetchAll(db, sql: "SELECT id FROM account WHERE state IS NULL")) }
      // Accounts looked up on demand on the old basis and not vouched for by this epoch: back to
      // what this terminal's own entries make of them, or gone.
      rest.formUnion(
        try String.fetchAll(
          db, sql: "SELECT l.accountId FROM looked_up l JOIN account a ON a.id = l.accountId WHERE a.state IS NULL"))
      try db.execute(sql: "DELETE FROM looked_up")
      var set = CacheWorkingSet()
      var gone: [String] = []
      for id in rest.sorted() {
        let base = try Data.fetchOne(db, sql: "SELECT state FROM account WHERE id = ?", arguments: [id])
          .map { Data(StoredState.canonical($0, id: id)) }
        if base == nil, !withUnsynced.contains(id) {
          gone.append(id)
          continue
        }
        try Self.rebase(
          db, id, base: try base.map { try AccountStateEncoding.decode($0) }, bytes: base,
          hasUnsynced: withUnsynced.contains(id), into: &set, rules: rules)
      }
      try set.store(db)
      for (id, s) in set.states where s.balance < 0 { overdrawn[id] = s.balance }
      // An account neither HQ nor this terminal's outbox holds (its enrolment refused, or lost
      // with HQ's restored history): gone, with its rows — the refusal keeps what was refused.
      for id in gone { try Self.forget(db, account: id) }
      try db.execute(
        sql: """
          INSERT OR REPLACE INTO replica_epoch (
            id, seq, digest, accounts, liability, programChecksum, epoch, appliedAt, region)
          VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          target.seq, Data(digest.bytes), accounts, liability, target.programChecksum, target.epoch, time.seconds,
          delta.region,
        ])
      try db.cachedExecute(
        sql: """
          INSERT INTO checkpoint (id, ledgerPosition, ledgerHash, syncedAt, state, lastSeq, registered)
          VALUES (1, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET ledgerPosition = excluded.ledgerPosition, ledgerHash = excluded.ledgerHash,
            syncedAt = excluded.syncedAt, state = excluded.state, lastSeq = excluded.lastSeq,
            registered = excluded.registered
          """,
        arguments: [
          position.offset, position.head, time.seconds, position.state, position.lastSeq, position.registered,
        ])
      try recordHistory(db, position: position, at: time)
      return SyncApplication(
        applied: count, markedSynced: marked, overdrawn: overdrawn, rebuilt: rest.count, left: left)
    }
  }

  /// "region R's members", or "every account".
  public static func describe(region: String?) -> String {
    region.map { "region \($0)'s members" } ?? "every account"
  }

  static func add(_ a: Int64, _ b: Int64, _ account: String) throws(ReplicaError) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    guard !overflow else { throw ReplicaError("the points outstanding overflow at account \(account)") }
    return sum
  }
}
