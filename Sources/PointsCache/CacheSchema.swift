import GRDB

/// The cache's schema as migrations. Plain SQL on purpose: `sqlite3 cache.db .schema` shows the
/// same text, and docs/cache-schema.md explains it.
enum CacheSchema {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE program (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL,
            json TEXT NOT NULL,
            loadedAt INTEGER NOT NULL
          );
          CREATE TABLE account (
            id TEXT PRIMARY KEY,
            enrolledAt INTEGER NOT NULL,
            referrerAccountId TEXT REFERENCES account(id),
            referralSettled INTEGER NOT NULL DEFAULT 0 CHECK (referralSettled IN (0, 1)),
            balance INTEGER NOT NULL DEFAULT 0,
            deficit INTEGER NOT NULL DEFAULT 0 CHECK (deficit >= 0)
          );
          CREATE TABLE card (
            id TEXT PRIMARY KEY,
            accountId TEXT NOT NULL REFERENCES account(id),
            blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
            linkedAt INTEGER NOT NULL
          );
          CREATE INDEX card_by_account ON card(accountId);
          CREATE TABLE lot (
            id INTEGER PRIMARY KEY,
            accountId TEXT NOT NULL REFERENCES account(id),
            earnedAt INTEGER NOT NULL,
            expiresAt INTEGER NOT NULL,
            remaining INTEGER NOT NULL CHECK (remaining > 0)
          );
          CREATE INDEX lot_by_account ON lot(accountId, earnedAt, id);
          CREATE TABLE entry (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN
              ('enroll', 'link', 'block', 'earn', 'redeem', 'reversal', 'referralBonus', 'adjustment', 'expiry')),
            at INTEGER NOT NULL,
            terminal TEXT NOT NULL,
            operator TEXT NOT NULL,
            accountId TEXT NOT NULL REFERENCES account(id),
            card TEXT,
            points INTEGER NOT NULL DEFAULT 0,
            amount INTEGER,
            currency TEXT,
            receipt TEXT,
            item TEXT,
            reference TEXT,
            origin TEXT NOT NULL CHECK (origin IN ('local', 'ledger')),
            synced INTEGER NOT NULL DEFAULT 0 CHECK (synced IN (0, 1))
          );
          CREATE INDEX entry_by_account ON entry(accountId, at);
          CREATE INDEX entry_by_card_terminal ON entry(card, terminal, kind, at);
          CREATE INDEX entry_outbox ON entry(seq) WHERE origin = 'local' AND synced = 0;
          CREATE TABLE receipt (
            id TEXT PRIMARY KEY,
            accountId TEXT NOT NULL REFERENCES account(id),
            at INTEGER NOT NULL,
            amount INTEGER NOT NULL CHECK (amount >= 0),
            points INTEGER NOT NULL CHECK (points >= 0),
            refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
            reversed INTEGER NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= points)
          );
          CREATE INDEX receipt_by_account ON receipt(accountId, at);
          CREATE TABLE tap (
            card TEXT NOT NULL,
            terminal TEXT NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (card, terminal)
          ) WITHOUT ROWID;
          CREATE TABLE audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            terminal TEXT NOT NULL,
            operator TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL
          );
          CREATE TABLE checkpoint (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            ledgerPosition INTEGER NOT NULL DEFAULT 0,
            ledgerHash TEXT,
            syncedAt INTEGER
          );
          """)
    }
    migrator.registerMigration("v2-sync-state") { db in
      // The verifier's state after the last sealed batch the terminal has applied (JSON).
      try db.execute(sql: "ALTER TABLE checkpoint ADD COLUMN state TEXT")
    }
    migrator.registerMigration("v3-terminal") { db in
      // The terminal this cache belongs to, set by its first recorded operation: a cache records
      // and syncs for one terminal only.
      try db.execute(
        sql: """
          CREATE TABLE owner (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            terminal TEXT NOT NULL
          );
          INSERT INTO owner (id, terminal)
            SELECT 1, terminal FROM entry WHERE origin = 'local' ORDER BY seq LIMIT 1;
          """)
    }
    migrator.registerMigration("v4-audit") { db in
      // Entries carry what HQ's audit re-derives them from (loyalty-ledger/2): an earn's lines,
      // the program version and tier it applied, and every counter entry's basis (the ledger
      // position the terminal had synced to). An entry HQ's admission refused keeps its reason
      // and leaves the outbox (in `refusal` since v7-refusals). The checkpoint keeps its seq (the basis of the next decisions) and
      // whether the ledger registers this terminal (it records nothing until it does).
      try db.execute(
        sql: """
          ALTER TABLE entry ADD COLUMN lines TEXT;
          ALTER TABLE entry ADD COLUMN programVersion INTEGER;
          ALTER TABLE entry ADD COLUMN tier TEXT;
          ALTER TABLE entry ADD COLUMN basis INTEGER;
          ALTER TABLE entry ADD COLUMN refused TEXT;
          ALTER TABLE checkpoint ADD COLUMN lastSeq INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE checkpoint ADD COLUMN registered INTEGER NOT NULL DEFAULT 1 CHECK (registered IN (0, 1));
          DROP INDEX entry_outbox;
          CREATE INDEX entry_outbox ON entry(seq) WHERE origin = 'local' AND synced = 0 AND refused IS NULL;
          """)
    }
    migrator.registerMigration("v5-receipt-window") { db in
      // A purchase keeps the return window of the version it was made under (`pendingDays`, as
      // its earn entry records it): a later version never makes its points pending again. NULL on
      // rows from before (their window is the program in force's). The index answers the longest
      // window among an account's receipts (which of them a redemption must load).
      try db.execute(
        sql: """
          ALTER TABLE entry ADD COLUMN pendingDays INTEGER;
          ALTER TABLE receipt ADD COLUMN pendingDays INTEGER;
          CREATE INDEX receipt_window ON receipt(accountId, pendingDays);
          """)
    }
    migrator.registerMigration("v6-sync-history") { db in
      // Where each sync left the cache (one row per sync: the verifier's state and the program in
      // force then), and which sync brought each entry in (`syncedIn`, that sync's last seq: an
      // entry learnt from the ledger, or this terminal's read back from it). When HQ restores its
      // ledger from a backup, the cache goes back to the last sync at or before the backup's end:
      // what later syncs brought is forgotten, and its own entries they read back are sent again.
      try db.execute(
        sql: """
          ALTER TABLE entry ADD COLUMN syncedIn INTEGER;
          CREATE INDEX entry_by_sync ON entry(syncedIn) WHERE syncedIn IS NOT NULL;
          CREATE INDEX entry_unstamped ON entry(seq) WHERE syncedIn IS NULL AND (origin = 'ledger' OR synced = 1);
          CREATE TABLE sync_history (
            lastSeq INTEGER PRIMARY KEY,
            ledgerPosition INTEGER NOT NULL,
            ledgerHash TEXT NOT NULL,
            state TEXT NOT NULL,
            program TEXT,
            syncedAt INTEGER NOT NULL
          );
          """)
    }
    migrator.registerMigration("v7-refusals") { db in
      // This terminal's entries HQ's admission refused, in a table of their own (they were rows
      // of `entry` with a `refused` reason, renamed "<id> refused <seq>" when the ledger came to
      // hold an entry of their id from another counter). A refusal keeps the entry as `entry` held
      // it (always recorded here, never synced) under its local `seq`, so two refusals of one id
      // are both kept, and HQ's reason. `accountId` references no account: a rewind after HQ
      // restored its ledger may forget the account it was learnt with, and the refusal stays.
      // `entry` loses its `refused` column (a rewrite of the table, once), and the outbox index
      // its condition on it.
      try db.execute(
        sql: """
          CREATE TABLE refusal (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN
              ('enroll', 'link', 'block', 'earn', 'redeem', 'reversal', 'referralBonus', 'adjustment', 'expiry')),
            at INTEGER NOT NULL,
            terminal TEXT NOT NULL,
            operator TEXT NOT NULL,
            accountId TEXT NOT NULL,
            card TEXT,
            points INTEGER NOT NULL DEFAULT 0,
            amount INTEGER,
            currency TEXT,
            receipt TEXT,
            item TEXT,
            reference TEXT,
            lines TEXT,
            programVersion INTEGER,
            tier TEXT,
            basis INTEGER,
            pendingDays INTEGER,
            reason TEXT NOT NULL
          );
          CREATE INDEX refusal_by_account ON refusal(accountId, seq);
          INSERT INTO refusal (seq, id, kind, at, terminal, operator, accountId, card, points, amount, currency,
              receipt, item, reference, lines, programVersion, tier, basis, pendingDays, reason)
            SELECT seq, CASE WHEN instr(id, ' ') > 0 THEN substr(id, 1, instr(id, ' ') - 1) ELSE id END, kind, at,
              terminal, operator, accountId, card, points, amount, currency, receipt, item, reference, lines,
              programVersion, tier, basis, pendingDays,
              CASE WHEN substr(refused, 1, 15) = 'refused by HQ: ' THEN substr(refused, 16) ELSE refused END
            FROM entry WHERE refused IS NOT NULL;
          DELETE FROM entry WHERE refused IS NOT NULL;
          DROP INDEX entry_outbox;
          ALTER TABLE entry DROP COLUMN refused;
          CREATE INDEX entry_outbox ON entry(seq) WHERE origin = 'local' AND synced = 0;
          """)
    }
    migrator.registerMigration("v8-card-proof") { db in
      // Cards that can sign (`CardProof`): a card's public key, as its enrolment or link recorded
      // it; an entry's card signature, kept with it (in the outbox until synced, and with a refusal).
      try db.execute(
        sql: """
          ALTER TABLE card ADD COLUMN publicKey TEXT;
          ALTER TABLE entry ADD COLUMN proof TEXT;
          ALTER TABLE refusal ADD COLUMN proof TEXT;
          """)
    }
    migrator.registerMigration("v9-state-replica") { db in
      // The cache is a replica of HQ's account states (`loyalty-state/1`): each account row keeps
      // its state as HQ's last epoch vouched for it (`state`, its canonical bytes; NULL for an
      // account HQ does not know yet), and its other rows (lots, cards, receipts, balance) are that
      // state with this terminal's entries not yet synced applied on top. `replica_epoch` is the
      // epoch the states are at: its seq, the lattice digest of all states (updated state by
      // state), their count and Σ balance, the program's checksum and the epoch as HQ signed it.
      // Entries learnt from the ledger are no longer kept: the first sync in this model replaces
      // them with HQ's states and deletes them.
      try db.execute(
        sql: """
          ALTER TABLE account ADD COLUMN state BLOB;
          CREATE TABLE replica_epoch (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            digest BLOB NOT NULL,
            accounts INTEGER NOT NULL,
            liability INTEGER NOT NULL,
            programChecksum TEXT,
            epoch TEXT NOT NULL,
            appliedAt INTEGER NOT NULL
          );
          """)
    }
    migrator.registerMigration("v10-one-row") { db in try CacheSchema.oneRowPerAccount(db) }
    migrator.registerMigration("v11-region") { db in
      // A partial replica (a terminal in a region): `account.regionDay` is the UTC day of the
      // account's last entry in the region, as HQ's delta said, and `replica_epoch.region` the
      // region the states are of (NULL: every account). An account whose day runs out of the
      // region's days leaves the replica.
      try db.execute(
        sql: """
          ALTER TABLE account ADD COLUMN regionDay INTEGER;
          CREATE INDEX account_by_region_day ON account(regionDay) WHERE regionDay IS NOT NULL;
          ALTER TABLE replica_epoch ADD COLUMN region TEXT;
          """)
    }
    migrator.registerMigration("v12-receipt-index-by-id") { db in
      // The receipt index is looked up by receipt (a refund names it); an account's receipts are
      // in its state, so the index by account (a third of a replica's size) goes.
      try db.execute(sql: "DROP INDEX IF EXISTS receipt_index_by_account")
    }
    migrator.registerMigration("v13-state-encoding-2") { db in
      // States are now `loyalty-state/2` (with the tier's days): the replica's digest, drawn over
      // version-1 bytes, can no longer follow HQ's. The states stay (read as version 1) so the
      // counter serves on; the next sync takes the replica afresh (a full delta).
      try db.execute(sql: "DELETE FROM replica_epoch")
    }
    migrator.registerMigration("v14-card-index-of-links") { db in
      // A card's own account (the one it enrolled) is found by the id derived from the card: only
      // linked cards keep a row (`CardIndex`), most of a replica's card index goes.
      let own = try Row.fetchAll(db, sql: "SELECT id, accountId FROM card").filter {
        !CardIndex.needsRow(card: $0["id"], account: $0["accountId"])
      }
      for row in own { try db.execute(sql: "DELETE FROM card WHERE id = ?", arguments: [row["id"] as String]) }
    }
    migrator.registerMigration("v15-receipt-index-account-bytes") { db in
      // The receipt index names an enrolment's account by the 12 bytes of its id's digits
      // (`StoredAccountID`): its entries, one per refundable receipt, are 17 bytes shorter.
      let rows = try Row.fetchAll(db, sql: "SELECT id, accountId FROM receipt_index")
      for row in rows {
        let stored = StoredAccountID.value(row["accountId"])
        guard stored != row["accountId"] else { continue }
        try db.execute(
          sql: "UPDATE receipt_index SET accountId = ? WHERE id = ?", arguments: [stored, row["id"] as String])
      }
    }
    migrator.registerMigration("v16-state-without-id") { db in try detachStateIDs(db) }
    migrator.registerMigration("v17-account-by-id") { db in try storeAccountsByID(db) }
    // Accounts this counter looked up on demand (`PointsCache.takeLookUp`): decided on until the
    // next sync, which drops the list.
    migrator.registerMigration("v18-looked-up") { db in
      try db.execute(
        sql: """
          CREATE TABLE looked_up (
            accountId TEXT PRIMARY KEY NOT NULL,
            card TEXT NOT NULL,
            basis INTEGER NOT NULL,
            state BLOB NOT NULL,
            answer TEXT NOT NULL,
            at INTEGER NOT NULL
          ) WITHOUT ROWID
          """)
    }
    // Only this terminal's receipts are indexed (`ReceiptIndex`): another counter's is found
    // through its customer's card.
    migrator.registerMigration("v19-own-receipts") { db in try ReceiptIndex.keepOwnOnly(db) }
    return migrator
  }
}
