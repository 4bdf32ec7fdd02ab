import Foundation
import GRDB
import LoyaltyCore
import Synchronization

/// A terminal's offline points cache: one SQLite file (WAL) holding accounts, cards, lots, the
/// journal of points events (its own outbox and what it learnt from the ledger), receipts, the
/// program, an audit log and the sync checkpoint.
///
/// Every operation acknowledged to the cashier is one transaction, committed with
/// `synchronous = FULL` before the call returns: after a crash it is fully there or fully absent.
/// A refused operation writes nothing.
public final class PointsCache: Sendable {
  /// The database: a pool on the cache's file, or a queue in memory (`inMemory()`).
  let pool: any DatabaseWriter
  public let path: String
  /// The last program parsed, keyed by its JSON text, so operations do not re-parse it.
  let parsedProgram = Mutex<(json: String, program: LoyaltyProgram)?>(nil)

  /// How a cache file is opened.
  public enum Access: Sendable {
    /// Created and migrated if need be; every operation.
    case readWrite
    /// An existing, up-to-date cache, never written (look-ups on a read-only file or mount).
    case readOnly
  }

  /// Opens the cache at `path`: with `.readWrite`, created and migrated if need be.
  ///
  /// Refuses a directory, a missing file opened read-only, and a cache written by a newer schema
  /// than this build knows (naming both), before anything is written.
  public convenience init(path: String, access: Access = .readWrite) throws {
    do {
      try self.init(opening: path, access: access)
    } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
      throw CacheOpenError(path: path, problem: "it is not a points cache (not an SQLite database)")
    } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
      let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
      throw CacheOpenError(
        path: path,
        problem: FileManager.default.fileExists(atPath: folder)
          ? "SQLite cannot open or create it here" : "its folder \(folder) does not exist")
    }
  }

  private init(opening path: String, access: Access) throws {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    if exists && isDirectory.boolValue {
      throw CacheOpenError(path: path, problem: "it is a directory, not a cache file")
    }
    if !exists && access == .readOnly { throw CacheOpenError(path: path, problem: "no such file") }
    self.path = path
    let migrator = CacheSchema.migrator
    if exists {
      // Checked on a read-only connection: a read-write DatabasePool writes as it opens (GRDB
      // touches the schema to create the WAL files), and a newer cache must not be written at all.
      let probe = try Self.openReadOnly(path)
      let applied = try probe.read { db in try migrator.appliedIdentifiers(db) }
      let unknown = applied.subtracting(migrator.migrations)
      guard unknown.isEmpty else {
        throw CacheOpenError(
          path: path,
          problem: "it was written by a newer loyalty-terminal (schema \(unknown.sorted().joined(separator: ", "))); "
            + "this build knows schema \(migrator.migrations.joined(separator: ", ")). Use the newer build")
      }
      if access == .readOnly {
        guard applied.count == migrator.migrations.count else {
          throw CacheOpenError(
            path: path,
            problem: "its schema (\(applied.sorted().joined(separator: ", "))) is older than this build's "
              + "(\(migrator.migrations.joined(separator: ", "))); open it once read-write to upgrade it")
        }
        pool = probe
        return
      }
      try probe.close()
    }
    do {
      pool = try DatabasePool(path: path, configuration: Self.configuration(readOnly: false))
    } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
      throw CacheOpenError(
        path: path,
        problem: "the file or its directory is read-only for this user, so nothing can be recorded "
          + "(identify and history still read it)")
    }
    // DatabasePool sets synchronous = NORMAL on its writer when it enables WAL (after any
    // prepareDatabase hook), and NORMAL does not sync the WAL at each commit. An acknowledged earn
    // must survive a power cut, so the writer runs with FULL, and that is checked here.
    try pool.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    guard try synchronousMode() == 2 else {
      throw RuleError(.overflow, "could not set synchronous = FULL on \(path)")
    }
    try migrator.migrate(pool)
  }

  /// A cache in memory, migrated and empty, for unit tests of what runs on it: the same schema,
  /// operations and transactions, no file (gone when released; not for syncs).
  public static func inMemory() throws -> PointsCache {
    try PointsCache(writer: DatabaseQueue(configuration: configuration(readOnly: false)), path: ":memory:")
  }

  private init(writer: any DatabaseWriter, path: String) throws {
    pool = writer
    self.path = path
    try CacheSchema.migrator.migrate(writer)
  }

  static func configuration(readOnly: Bool) -> Configuration {
    var config = Configuration()
    config.foreignKeysEnabled = true
    config.busyMode = .timeout(5)
    config.readonly = readOnly
    return config
  }

  /// A read-only connection pool on an existing cache, even where this user may not create its
  /// -shm file (a read-only directory or mount): with no pending WAL, the main file is the whole
  /// database, read as immutable.
  static func openReadOnly(_ path: String) throws -> DatabasePool {
    let config = configuration(readOnly: true)
    do {
      let pool = try DatabasePool(path: path, configuration: config)
      try pool.read { db in _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
      return pool
    } catch let error as DatabaseError
      where [.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode) && walIsEmpty(path)
    {
      return try DatabasePool(path: immutableURI(path), configuration: config)
    }
  }

  /// True when `path` has no -wal file, or an empty one: every committed page is in the main file.
  static func walIsEmpty(_ path: String) -> Bool {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path + "-wal")
    return ((attributes?[.size] as? NSNumber)?.intValue ?? 0) == 0
  }

  /// An SQLite URI opening `path` as immutable (no locks, no -shm).
  static func immutableURI(_ path: String) -> String {
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: "?#")
    return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
  }

  /// The writer connection's `PRAGMA synchronous` (2 = FULL: the WAL is synced at every commit).
  public func synchronousMode() throws -> Int {
    try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
  }

  // MARK: Program

  /// Installs a program (already validated) as the cache's current one — on a stand-alone
  /// terminal only: one that has synced takes its program from HQ's ledger and nowhere else.
  public func loadProgram(_ program: LoyaltyProgram, json: String, context: OperationContext) throws {
    try pool.write { db in
      if try db.cachedOne(String.self, sql: "SELECT state FROM checkpoint WHERE id = 1") != nil {
        throw RuleError(
          .noProgram,
          "this terminal syncs with HQ's ledger and takes its program only from there (HQ: ledger publish-program); "
            + "program load is for a stand-alone terminal")
      }
      try db.cachedExecute(
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
    guard let json = try db.cachedOne(String.self, sql: "SELECT json FROM program WHERE id = 1") else {
      throw RuleError(
        .noProgram,
        "no program in this cache: a counter in a chain joins with a first sync (loyalty-terminal sync …), which "
          + "takes HQ's program from the ledger; a stand-alone counter loads one (loyalty-terminal program load FILE)")
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

  /// The terminal this cache belongs to (nil before its first recorded operation).
  public func owner() throws -> String? {
    try pool.read { db in try String.fetchOne(db, sql: "SELECT terminal FROM owner WHERE id = 1") }
  }

  /// Binds the cache to `terminal` (its first sync or its first recorded operation, whichever
  /// comes first); refuses another terminal's.
  public func bind(to terminal: String) throws {
    try pool.write { db in try requireOwner(db, terminal) }
  }

  /// Binds the cache to `terminal` at its first recorded operation; refuses another terminal's.
  func requireOwner(_ db: Database, _ terminal: String) throws {
    guard let owner = try db.cachedOne(String.self, sql: "SELECT terminal FROM owner WHERE id = 1") else {
      try db.cachedExecute(sql: "INSERT INTO owner (id, terminal) VALUES (1, ?)", arguments: [terminal])
      return
    }
    guard owner == terminal else {
      throw RuleError(
        .wrongTerminal, "this cache belongs to terminal \(owner), not \(terminal); nothing recorded (check --terminal)")
    }
  }

  /// What this cache knows of a card, or nil.
  func cardFacts(_ db: Database, _ card: String) throws -> CardFacts? {
    try CardIndex.facts(db, card: card)
  }

  /// Journals `entries` and applies them to their accounts with the core's reducer, in the
  /// caller's transaction. Returns the accounts as they are afterwards.
  ///
  /// An entry the reducer refuses throws, unless `refusing` is given: then it is handed there and
  /// neither applied nor journaled (as every reader of the ledger skips it).
  @discardableResult
  func record(
    _ db: Database, _ entries: [Entry], operator: String, origin: EntryRecord.Origin, program: LoyaltyProgram?,
    into set: CacheWorkingSet = CacheWorkingSet(), refusing: ((Entry, RuleError) -> Void)? = nil
  ) throws -> CacheWorkingSet {
    var set = set
    if origin == .local, let terminal = entries.first?.terminal { try requireOwner(db, terminal) }
    let rules = StateRules(program)
    var rows: [EntryRecord] = []
    for entry in entries {
      guard let account = entry.account, entry.kind.concernsAnAccount else { continue }
      try set.prepare(db, for: entry)
      do {
        try set.apply(entry, rules: rules)
      } catch {
        guard let refusing else { throw error }
        refusing(entry, error)
        continue
      }
      rows.append(EntryRecord(entry, account: account, operator: `operator`, origin: origin))
    }
    try set.store(db)  // the accounts first: entry rows reference them
    for row in rows { try row.insertFast(db) }
    return set
  }

  /// Entries recorded here and not yet handed to the ledger, oldest first.
  public func outbox() throws -> [Entry] {
    try pool.read { db in
      // Row by row: a row this version cannot read (an edited file) is named, not dumped.
      let rows = try Row.fetchAll(
        db, sql: "SELECT * FROM entry WHERE origin = 'local' AND synced = 0 ORDER BY seq")
      return try rows.map { row in
        do { return try EntryRecord(row: row).entry } catch {
          let seq: Int64? = row["seq"]
          let kind: String? = row["kind"]
          throw CacheOpenError(
            path: path,
            problem:
              "outbox entry \(seq.map(String.init) ?? "?") cannot be read (kind \"\(kind ?? "none")\" or another "
              + "column is not one this version writes): the cache file was edited or is damaged; nothing synced")
        }
      }
    }
  }

  /// Ids of every entry this terminal recorded itself (synced or not) that HQ did not refuse, in order.
  public func localEntryIds() throws -> [String] {
    try pool.read { db in
      try db.cachedAll(String.self, sql: "SELECT id FROM entry WHERE origin = 'local' ORDER BY seq")
    }
  }

  /// This terminal's entries HQ's admission refused (the `refusal` table), with HQ's reason, in
  /// the order they were recorded. An id may be listed while `entry` holds the ledger's entry of
  /// that id from another counter.
  public func refusedByHQ() throws -> [EntryRefusal] {
    try pool.read { db in
      try Row.fetchAll(db, sql: "SELECT id, reason FROM refusal ORDER BY seq").map {
        EntryRefusal(id: $0["id"], reason: $0["reason"])
      }
    }
  }

  /// Every account's balance as this cache knows it.
  public func balances() throws -> [String: Int64] {
    try pool.read { db in
      var out: [String: Int64] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT id, balance FROM account") { out[row["id"]] = row["balance"] }
      return out
    }
  }

  /// SQLite's own integrity check plus the cache's invariants; empty when all is well.
  public func consistencyProblems() throws -> [String] {
    try pool.read { db in
      var problems = try db.cachedAll(String.self, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
      // Each account's row says what its state says: its balance, its cards (the card index), its
      // receipts (the receipt index). A replica of states: that state is HQ's with this terminal's
      // unsynced entries on top; before one, every entry the cache holds adds up to its balance.
      let replica = try Self.isReplica(db)
      let rules = StateRules(try? program(db))
      let own = try ReceiptIndex.ownPrefix(db)
      for row in try Row.fetchAll(db, sql: "SELECT id, state, working, balance, deficit FROM account") {
        let id: String = row["id"]
        guard let current = try CacheWorkingSet.load(db, account: id) else { continue }
        if current.id != id { problems.append("account \(id): its row holds account \(current.id)'s state") }
        if current.balance != row["balance"] || current.lots.deficit != row["deficit"] {
          problems.append("account \(id): balance differs from its state")
        }
        problems += try CardIndex.problems(db, of: current)
        for receipt in current.receipts.keys.sorted()
        where try ReceiptIndex.isOwn(receipt, own) && ReceiptIndex.holder(db, id: receipt) == nil {
          problems.append("account \(id): its receipt \(receipt) is not indexed")
        }
        if replica {
          var set = CacheWorkingSet()
          // An account looked up since the last sync: HQ's state as the look-up gave it.
          let base =
            try (row["state"] as Data?).map { try StoredState.decode($0, id: id) }
            ?? Self.lookedUpState(db, account: id)
          set.rebase(
            id, base: base, bytes: nil, unsynced: try Self.unsynced(db, account: id), before: nil,
            rules: rules)
          if set.states[id]?.balance != current.balance {
            problems.append("account \(id): balance differs from HQ's state with this terminal's unsynced entries")
          }
        } else {
          let sum = try db.cachedOne(
            Int64.self, sql: "SELECT COALESCE(SUM(points), 0) FROM entry WHERE accountId = ?", arguments: [id])
          if sum != current.balance { problems.append("account \(id): balance differs from its entries") }
        }
      }
      // Every receipt indexed is this terminal's and in the state of the account it names (each
      // account read once).
      var named: (id: String, state: AccountState?)?
      for row in try Row.fetchAll(db, sql: "SELECT id, accountId FROM receipt_index ORDER BY accountId") {
        let receipt: String = row["id"]
        if !ReceiptIndex.isOwn(receipt, own) { problems.append("receipt \(receipt): indexed, but another terminal's") }
        guard let id = StoredAccountID.id(row["accountId"]) else {
          problems.append("receipt \(receipt): its index entry names no account")
          continue
        }
        if named?.id != id { named = (id, try CacheWorkingSet.load(db, account: id)) }
        if named?.state?.receipts[receipt] == nil {
          problems.append("account \(id): a receipt indexed is not in its state (\(receipt))")
        }
      }
      // A receipt has at most one earn entry (none when it came with HQ's state).
      let badReceipts = try db.cachedAll(
        String.self,
        sql: """
          SELECT r.id FROM receipt_index r WHERE (SELECT COUNT(*) FROM entry WHERE kind = ? AND receipt = r.id) > 1
          """, arguments: [Entry.Kind.earn])
      problems += badReceipts.map { "receipt \($0): more than one earn entry" }
      return problems
    }
  }
}

extension PointsCache {
  /// Writes a consistent copy of the cache to `path` (SQLite's online backup), e.g. before an
  /// upgrade or for an operator's records.
  public func backup(to path: String) throws {
    let destination = try DatabaseQueue(path: path)
    try pool.backup(to: destination)
  }
}
