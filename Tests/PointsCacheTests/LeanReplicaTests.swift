import Foundation
import GRDB
import LoyaltyCore
import Testing

@testable import PointsCache

/// What a replica keeps beside each account's state (`v14`, `v15`): no card row for a card's own
/// account (found by the id derived from the card), rows only for linked cards, and the receipt
/// index naming an enrolment's account by its 12 bytes, the states without the id their row's
/// key holds (`v16`), the account table stored by its id (`v17`), the receipt index of this
/// terminal's receipts only (`v19`).
@Suite("A lean replica (cache v14 to v19)")
struct LeanReplicaTests {
  let alice = "6280001234567895"
  let bob = "04A1B2C3D4E5F6"
  func at(_ time: String) -> OperationContext { CacheFixture.context("T01", time) }

  func values(_ path: String, _ sql: String) throws -> [String] {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in try String.fetchAll(db, sql: sql) }
  }

  /// The path of a cache file not yet created, in a directory of its own.
  func freshCachePath() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("points-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("cache.db").path
  }

  @Test func anEnrolmentsAccountIDIsStoredAsItsTwelveBytesAndAnyOtherIDAsText() {
    let id = Identities.accountID(enrolledWith: alice)
    let stored = StoredAccountID.value(id)
    guard case .blob(let bytes) = stored.storage else {
      Issue.record("\(stored) is not a blob")
      return
    }
    #expect(bytes.count == 12)
    #expect(StoredAccountID.id(stored) == id)
    // Ids of any other form stay text, and come back as they were.
    for other in ["acct-1", "acct-" + String(repeating: "A", count: 24), "acct-" + String(repeating: "g", count: 24)] {
      #expect(StoredAccountID.value(other) == other.databaseValue)
      #expect(StoredAccountID.id(StoredAccountID.value(other)) == other)
    }
    #expect(StoredAccountID.id(Data([1, 2, 3]).databaseValue) == nil)
  }

  @Test func onlyALinkedCardHasARowAndBothAreFoundWithTheirReceipts() throws {
    let f = try CacheFixture()
    let account = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T10:00:00Z"))
    _ = try f.cache.link(card: bob, to: alice, context: at("2026-11-02T11:00:00Z"))
    _ = try f.cache.earn(
      card: bob, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R1",
      context: at("2026-11-02T12:00:00Z"))
    #expect(try values(f.cache.path, "SELECT id FROM card") == [bob])
    #expect(try values(f.cache.path, "SELECT typeof(accountId) FROM receipt_index") == ["blob"])
    for card in [alice, bob] {
      let view = try f.cache.identify(card: card, at: UTCInstant(parsing: "2026-11-02T13:00:00Z")!)
      #expect(view.account == account)
      #expect(view.cards == [alice, bob], "the enrolling card first, then the linked one")
    }
    #expect(try f.cache.refund(receipt: "R1", amount: 2_000, context: at("2026-11-02T14:00:00Z")).reversed > 0)
    #expect(try f.cache.consistencyProblems() == [])
    // A card nobody enrolled is still unknown, though its own account's id can be derived.
    #expect(throws: RuleError.self) { try f.cache.identify(card: "0A1B2C3D", at: .init(seconds: 0)) }
  }

  @Test func aCacheOfV13IsMigratedWithoutLosingACard() throws {
    let path = try freshCachePath()
    let id = Identities.accountID(enrolledWith: alice)
    var state = AccountState(id: id)
    state.enrolledAt = UTCInstant(seconds: 1_000)
    state.cards = [alice, bob]
    state.receipts["T01/R1"] = Receipt(
      account: id, at: 1_500, amount: 2_000, points: 0, refunded: 0, reversed: 0, pendingDays: nil)
    let queue = try DatabaseQueue(path: path)
    try CacheSchema.migrator.migrate(queue, upTo: "v13-state-encoding-2")
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO account (id, enrolledAt, balance, deficit, working) VALUES (?, 1000, 0, 0, ?);
          INSERT INTO card (id, accountId, linkedAt) VALUES (?, ?, 1000), (?, ?, 2000);
          INSERT INTO receipt_index (id, accountId) VALUES ('T01/R1', ?);
          INSERT INTO owner (id, terminal) VALUES (1, 'T01');
          """,
        arguments: [id, Data(AccountStateEncoding.encode(state)), alice, id, bob, id, id])
    }
    try queue.close()
    let cache = try PointsCache(path: path)
    #expect(try values(path, "SELECT id FROM card") == [bob])
    #expect(try values(path, "SELECT typeof(accountId) FROM receipt_index") == ["blob"])
    for card in [alice, bob] { #expect(try cache.accountState(card: card)?.id == id) }
    #expect(try cache.consistencyProblems() == [])
  }

  @Test func aCacheOfV15IsMigratedToStatesWithoutTheirIDs() throws {
    let path = try freshCachePath()
    let id = Identities.accountID(enrolledWith: alice)
    var base = AccountState(id: id)
    base.enrolledAt = UTCInstant(seconds: 1_000)
    base.cards = [alice]
    var working = base
    working.receipts["T01/R1"] = Receipt(
      account: id, at: 1_500, amount: 2_000, points: 0, refunded: 0, reversed: 0, pendingDays: nil)
    let canonical = (base: AccountStateEncoding.encode(base), working: AccountStateEncoding.encode(working))
    let queue = try DatabaseQueue(path: path)
    try CacheSchema.migrator.migrate(queue, upTo: "v15-receipt-index-account-bytes")
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO account (id, enrolledAt, balance, deficit, state, working) VALUES (?, 1000, 0, 0, ?, ?);
          INSERT INTO receipt_index (id, accountId) VALUES ('T01/R1', ?);
          INSERT INTO owner (id, terminal) VALUES (1, 'T01');
          """,
        arguments: [id, Data(canonical.base), Data(canonical.working), StoredAccountID.value(id)])
    }
    try queue.close()
    let cache = try PointsCache(path: path)
    #expect(
      try values(path, "SELECT hex(substr(state, 1, 1)) || ' ' || hex(substr(working, 1, 1)) FROM account")
        == ["82 82"])
    #expect(
      try values(path, "SELECT length(state) || ' ' || length(working) FROM account")
        == ["\(canonical.base.count - 30) \(canonical.working.count - 30)"], "the id and its length byte gone")
    #expect(try cache.accountState(card: alice) == working)
    #expect(try cache.consistencyProblems() == [])
  }

  @Test func aRowHoldingAnotherAccountsStateIsACacheProblem() throws {
    let f = try CacheFixture()
    let account = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T10:00:00Z"))
    let other = Data(AccountStateEncoding.encode(AccountState(id: Identities.accountID(enrolledWith: bob))))
    let queue = try DatabaseQueue(path: f.cache.path)
    try queue.write { db in
      try db.execute(sql: "UPDATE account SET working = ? WHERE id = ?", arguments: [other, account])
    }
    try queue.close()
    #expect(
      try f.cache.consistencyProblems().contains {
        $0.hasPrefix("account \(account): its row holds account \(Identities.accountID(enrolledWith: bob))")
      })
  }

  @Test func aCacheOfV16IsRebuiltByIDWithEveryRowAndReference() throws {
    let f = try CacheFixture()
    let account = try f.cache.enroll(card: alice, referrer: nil, context: at("2026-11-02T10:00:00Z"))
    _ = try f.cache.link(card: bob, to: alice, context: at("2026-11-02T11:00:00Z"))
    let referee = try f.cache.enroll(card: "04C0FFEE112233", referrer: alice, context: at("2026-11-02T11:30:00Z"))
    _ = try f.cache.earn(
      card: bob, lines: [PurchaseLine(category: "fresh", amount: 2_000)], receipt: "R1",
      context: at("2026-11-02T12:00:00Z"))
    let before = try values(f.cache.path, "SELECT id || ' ' || balance || ' ' || hex(working) FROM account ORDER BY id")
    // Back to v16: the rowid table the caches before v17 hold, its rows as they were.
    let queue = try DatabaseQueue(path: f.cache.path)
    try queue.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA foreign_keys = OFF")
      try db.inTransaction {
        try db.execute(
          sql: """
            CREATE TABLE account_rowid AS SELECT * FROM account;
            DROP TABLE account;
            CREATE TABLE account (
              id TEXT PRIMARY KEY, enrolledAt INTEGER NOT NULL, referrerAccountId TEXT REFERENCES account(id),
              referralSettled INTEGER NOT NULL DEFAULT 0 CHECK (referralSettled IN (0, 1)),
              balance INTEGER NOT NULL DEFAULT 0, deficit INTEGER NOT NULL DEFAULT 0 CHECK (deficit >= 0),
              state BLOB, working BLOB, regionDay INTEGER);
            INSERT INTO account SELECT * FROM account_rowid;
            DROP TABLE account_rowid;
            CREATE INDEX account_by_region_day ON account(regionDay) WHERE regionDay IS NOT NULL;
            DELETE FROM grdb_migrations WHERE identifier = 'v17-account-by-id';
            """)
        return .commit
      }
    }
    try queue.close()
    let cache = try PointsCache(path: f.cache.path)
    #expect(
      try values(f.cache.path, "SELECT sql FROM sqlite_schema WHERE name = 'account'").first?.contains(
        "WITHOUT ROWID") == true)
    #expect(
      try values(f.cache.path, "SELECT name FROM sqlite_schema WHERE tbl_name = 'account' AND type = 'index'")
        == ["account_by_region_day"], "no index of the id beside the table")
    #expect(
      try values(f.cache.path, "SELECT id || ' ' || balance || ' ' || hex(working) FROM account ORDER BY id")
        == before)
    #expect(try values(f.cache.path, "SELECT referrerAccountId FROM account WHERE id = '\(referee)'") == [account])
    #expect(try values(f.cache.path, "PRAGMA foreign_key_check").isEmpty)
    #expect(try cache.accountState(card: bob)?.id == account)
    #expect(try cache.refund(receipt: "R1", amount: 2_000, context: at("2026-11-02T14:00:00Z")).reversed > 0)
    #expect(try cache.consistencyProblems() == [])
  }

  @Test func aCacheOfV18KeepsOnlyItsOwnReceiptsIndexedAndCheckFindsAnotherTerminalsOne() throws {
    let path = try freshCachePath()
    let id = Identities.accountID(enrolledWith: alice)
    var state = AccountState(id: id)
    state.enrolledAt = UTCInstant(seconds: 1_000)
    state.cards = [alice]
    for r in ["T01/R1", "T02/R2", "T010/R3"] {
      state.receipts[r] = Receipt(
        account: id, at: 1_500, amount: 2_000, points: 0, refunded: 0, reversed: 0, pendingDays: nil)
    }
    let queue = try DatabaseQueue(path: path)
    try CacheSchema.migrator.migrate(queue, upTo: "v18-looked-up")
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO account (id, enrolledAt, balance, deficit, working) VALUES (?, 1000, 0, 0, ?);
          INSERT INTO receipt_index (id, accountId) VALUES ('T01/R1', ?), ('T02/R2', ?), ('T010/R3', ?);
          INSERT INTO owner (id, terminal) VALUES (1, 'T01');
          """,
        arguments: [
          id, StoredState.value(Data(AccountStateEncoding.encode(state)), id: id), StoredAccountID.value(id),
          StoredAccountID.value(id), StoredAccountID.value(id),
        ])
    }
    try queue.close()
    let cache = try PointsCache(path: path)
    #expect(try values(path, "SELECT id FROM receipt_index") == ["T01/R1"], "T010 is not T01")
    #expect(try cache.consistencyProblems() == [])
    // An entry for another terminal's receipt, written by hand: `check` names it.
    let writer = try DatabaseQueue(path: path)
    try writer.write { db in
      try db.execute(
        sql: "INSERT INTO receipt_index (id, accountId) VALUES ('T02/R2', ?)", arguments: [StoredAccountID.value(id)])
    }
    try writer.close()
    #expect(try cache.consistencyProblems() == ["receipt T02/R2: indexed, but another terminal's"])
  }
}
