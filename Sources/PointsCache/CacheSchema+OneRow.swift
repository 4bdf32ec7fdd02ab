import Foundation
import GRDB
import LoyaltyCore

extension CacheSchema {
  /// `v10-one-row`: an account is one row, its state in its canonical encoding. `working` is the
  /// state as this counter knows it when it is not `state` (HQ's): an account HQ does not know
  /// yet, or this terminal's unsynced entries on top. The lots and receipts move into the states
  /// and their tables go; `receipt_index` says which account holds a receipt (a refund names the
  /// receipt, not the card). Each account's state is read from its old rows (lots, cards,
  /// receipts) once, here.
  static func oneRowPerAccount(_ db: Database) throws {
    try db.execute(
      sql: """
        ALTER TABLE account ADD COLUMN working BLOB;
        CREATE TABLE receipt_index (
          id TEXT PRIMARY KEY,
          accountId TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX receipt_index_by_account ON receipt_index(accountId);
        INSERT OR IGNORE INTO receipt_index (id, accountId) SELECT id, accountId FROM receipt;
        """)
    let program = try String.fetchOne(db, sql: "SELECT json FROM program WHERE id = 1").flatMap {
      try? ProgramParser.parse(Data($0.utf8))
    }
    let rules = StateRules(program)
    for row in try Row.fetchAll(db, sql: "SELECT id, state FROM account") {
      let id: String = row["id"]
      var current: AccountState
      if let base = row["state"] as Data? {
        // HQ's state (v9) with this terminal's unsynced entries on top, as the rows were.
        current = try AccountStateEncoding.decode(base)
        for entry in try PointsCache.unsynced(db, account: id) { try? current.apply(entry, rules: rules) }
      } else {
        current = try oldRows(db, account: id)
      }
      let encoded = Data(AccountStateEncoding.encode(current))
      try db.execute(
        sql: "UPDATE account SET working = CASE WHEN state IS ?1 THEN NULL ELSE ?1 END WHERE id = ?2",
        arguments: [encoded, id])
    }
    try db.execute(
      sql: """
        DROP INDEX IF EXISTS receipt_window;
        DROP INDEX IF EXISTS receipt_by_account;
        DROP TABLE receipt;
        DROP INDEX IF EXISTS lot_by_account;
        DROP TABLE lot;
        """)
  }

  /// An account's state as the rows before `v10-one-row` held it.
  private static func oldRows(_ db: Database, account id: String) throws -> AccountState {
    var state = AccountState(id: id)
    guard let row = try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [id]) else {
      return state
    }
    state.enrolledAt = UTCInstant(seconds: row["enrolledAt"])
    state.referrer = row["referrerAccountId"]
    state.referralSettled = row["referralSettled"]
    let lots = try Row.fetchAll(
      db, sql: "SELECT earnedAt, expiresAt, remaining FROM lot WHERE accountId = ? ORDER BY earnedAt, id",
      arguments: [id])
    state.lots = try PointLots(
      lots: lots.map {
        .init(
          earnedAt: UTCInstant(seconds: $0["earnedAt"]), expiresAt: UTCInstant(seconds: $0["expiresAt"]),
          remaining: $0["remaining"])
      }, deficit: row["deficit"])
    for card in try Row.fetchAll(
      db, sql: "SELECT id, blocked, publicKey FROM card WHERE accountId = ?", arguments: [id])
    {
      let cardID: String = card["id"]
      state.cards.insert(cardID)
      if card["blocked"] as Bool { state.blockedCards.insert(cardID) }
      if let key = card["publicKey"] as String? { state.cardKeys[cardID] = key }
    }
    for r in try Row.fetchAll(db, sql: "SELECT * FROM receipt WHERE accountId = ?", arguments: [id]) {
      state.receipts[r["id"]] = Receipt(
        account: id, at: r["at"], amount: r["amount"], points: r["points"], refunded: r["refunded"],
        reversed: r["reversed"], pendingDays: r["pendingDays"])
    }
    // What the old rows did not keep: the purchases, the spend and the last activity, from the
    // journal this cache holds (its own entries, and before its first state sync the ledger's).
    for e in try Row.fetchAll(
      db, sql: "SELECT kind, amount, at FROM entry WHERE accountId = ? ORDER BY seq", arguments: [id])
    {
      let kind: String = e["kind"]
      let amount: Int64 = e["amount"] ?? 0
      if kind == Entry.Kind.earn.rawValue {
        state.purchases += 1
        state.lifetimeSpend = state.lifetimeSpend &+ amount
      } else if kind == Entry.Kind.reversal.rawValue {
        state.lifetimeSpend = state.lifetimeSpend &- amount
      }
      if kind != Entry.Kind.expiry.rawValue { state.lastActivity = UTCInstant(seconds: e["at"]) }
    }
    return state
  }
}
