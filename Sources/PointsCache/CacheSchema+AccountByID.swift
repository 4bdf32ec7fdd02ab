import GRDB

extension CacheSchema {
  /// `v17-account-by-id`: the account table is stored by its id (`WITHOUT ROWID`), so the id is
  /// kept once, in the table's own B-tree, instead of in the rows and again in an index beside
  /// them (a sixth of a replica). Rebuilt in id order, as SQLite's schema changes are: a new
  /// table, the rows copied, the old one dropped and the new one renamed (foreign keys are
  /// checked once the migration is done, and the tables referencing `account(id)` keep
  /// referencing it by name).
  static func storeAccountsByID(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE account_by_id (
          id TEXT PRIMARY KEY NOT NULL,
          enrolledAt INTEGER NOT NULL,
          referrerAccountId TEXT REFERENCES account(id),
          referralSettled INTEGER NOT NULL DEFAULT 0 CHECK (referralSettled IN (0, 1)),
          balance INTEGER NOT NULL DEFAULT 0,
          deficit INTEGER NOT NULL DEFAULT 0 CHECK (deficit >= 0),
          state BLOB,
          working BLOB,
          regionDay INTEGER
        ) WITHOUT ROWID;
        INSERT INTO account_by_id (
          id, enrolledAt, referrerAccountId, referralSettled, balance, deficit, state, working, regionDay)
        SELECT id, enrolledAt, referrerAccountId, referralSettled, balance, deficit, state, working, regionDay
        FROM account ORDER BY id;
        DROP TABLE account;
        ALTER TABLE account_by_id RENAME TO account;
        CREATE INDEX account_by_region_day ON account(regionDay) WHERE regionDay IS NOT NULL;
        """)
  }
}
