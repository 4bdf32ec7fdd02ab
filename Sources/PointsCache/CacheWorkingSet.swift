import Foundation
import GRDB
import LoyaltyCore

/// The accounts one transaction touches: loaded from their rows, changed only by the core's
/// reducer, written back once. The cache's only way to change an account.
///
/// An account is one row: its state as this counter knows it in its canonical encoding
/// (`working`, or `state` — HQ's, as the last epoch vouched for it — when they are the same), and
/// the columns the counter looks up (balance, referral). The card index (`card`) and the receipt
/// index (`receipt_index`: which account holds one of this terminal's receipts) follow the state.
struct CacheWorkingSet {
  /// What each account's row indexes now (its cards and receipts), to write the difference from.
  private var before: [String: StateKeys] = [:]
  private(set) var states: [String: AccountState] = [:]
  /// Accounts in the order they were first touched (a referrer before its referee).
  private var order: [String] = []
  /// When each card not yet stored was linked.
  private var linkedAt: [String: Int64] = [:]
  /// Accounts being written in the same transaction by other sets (a snapshot written in parts,
  /// its foreign keys deferred): a referrer among them is kept.
  var alsoWritten: Set<String> = []
  /// Base states to write with their accounts (`account.state`: HQ's state of the account; nil
  /// clears it), by account.
  var bases: [String: Data?] = [:]
  /// A partial replica's members: the UTC day of each one's last entry in the region (written with
  /// its base).
  var regionDays: [String: Int64] = [:]
  /// States whose encoding is known already (a base with nothing on top), by account.
  private var encoded: [String: Data] = [:]

  init() {}

  /// A set for about `capacity` accounts (a sync's part), its maps sized once.
  init(capacity: Int) {
    before.reserveCapacity(capacity)
    states.reserveCapacity(capacity)
    order.reserveCapacity(capacity)
    bases.reserveCapacity(capacity)
    encoded.reserveCapacity(capacity)
  }

  /// The account's state as this counter knows it, or nil when it has no such account.
  static func load(_ db: Database, account id: String) throws -> AccountState? {
    guard
      let row = try db.cachedRow(sql: "SELECT state, working FROM account WHERE id = ?", arguments: [id])
    else { return nil }
    guard let bytes = (row["working"] as Data?) ?? (row["state"] as Data?) else { return AccountState(id: id) }
    return try StoredState.decode(bytes, id: id)
  }

  /// Adds an account loaded (or created) for this transaction.
  mutating func track(_ state: AccountState, isNew: Bool) {
    guard states[state.id] == nil else { return }
    if !isNew { before[state.id] = StateKeys(state) }
    states[state.id] = state
    order.append(state.id)
  }

  /// The account of `entry`, loaded if not yet in the set.
  mutating func prepare(_ db: Database, for entry: Entry) throws {
    guard let id = entry.account, states[id] == nil else { return }
    if let state = try Self.load(db, account: id) {
      track(state, isNew: false)
    } else {
      track(AccountState(id: id), isNew: true)
    }
  }

  /// Rebuilds an account from its journal (entries HQ refused are not in it: they were moved to
  /// `refusal`): every remaining entry is replayed with the core's reducer from nothing (the only
  /// way an entry's effect is undone, before the cache holds HQ's states).
  mutating func rebuild(_ db: Database, account id: String, rules: StateRules) throws {
    var state = AccountState(id: id)
    let rows = try db.cachedAll(
      EntryRecord.self, sql: "SELECT * FROM entry WHERE accountId = ? ORDER BY seq", arguments: [id])
    for row in rows {
      let known = state.cards
      guard (try? state.apply(row.entry, rules: rules)) != nil else { continue }
      for card in state.cards.subtracting(known) { linkedAt[card] = row.at }
    }
    if let current = try Self.load(db, account: id) { before[id] = StateKeys(current) }
    states[id] = state
    encoded[id] = nil
    order.append(id)
  }

  /// Sets an account to `base` (HQ's state of it, nil when HQ does not know it) with `unsynced`
  /// (this terminal's entries HQ does not hold yet, oldest first) applied on top by the core's
  /// reducer; an entry it refuses is skipped, as it was when recorded on a different state.
  /// `before` is what its row holds now (nil: no row), what `store` writes the difference from.
  mutating func rebase(
    _ id: String, base: AccountState?, bytes: Data?, unsynced: [Entry], before: StateKeys?, rules: StateRules
  ) {
    var state = base ?? AccountState(id: id)
    for entry in unsynced {
      let known = state.cards
      guard (try? state.apply(entry, rules: rules)) != nil else { continue }
      for card in state.cards.subtracting(known) { linkedAt[card] = entry.at.seconds }
    }
    if let before { self.before[id] = before }
    states[id] = state
    order.append(id)
    bases[id] = .some(bytes)
    // Nothing on top: the state is the base, whose bytes are its canonical encoding already.
    encoded[id] = unsynced.isEmpty ? bytes : nil
  }

  /// Applies `entry` to its account with the core's reducer.
  mutating func apply(_ entry: Entry, rules: StateRules) throws(RuleError) {
    guard let id = entry.account, var state = states[id] else { return }
    let knownCards = state.cards
    try state.apply(entry, rules: rules)
    for card in state.cards.subtracting(knownCards) { linkedAt[card] = entry.at.seconds }
    states[id] = state
    encoded[id] = nil
  }

  /// Writes every touched account back: its row (the state, `working` only where it is not the
  /// base), its cards and its receipts' index entries.
  func store(_ db: Database) throws {
    // A referee may be touched before its referrer (its provisional earn learnt first, then its
    // enrolment naming a referrer learnt in the same sync): the referrer column is checked when
    // the transaction commits, once every row is written, not row by row.
    try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
    let own = try ReceiptIndex.ownPrefix(db)
    for id in order {
      guard let after = states[id] else { continue }
      let old = before[id]
      // The referrer column references an account row; an account this cache never saw stays NULL.
      var referrer = after.referrer
      if let r = referrer, states[r] == nil, !alsoWritten.contains(r),
        try db.cachedOne(Int64.self, sql: "SELECT 1 FROM account WHERE id = ?", arguments: [r]) == nil
      {
        referrer = nil
      }
      // Both stored without the id the row's key holds (`StoredState`).
      let encoded = StoredState.value(self.encoded[id] ?? Data(AccountStateEncoding.encode(after)), id: id)
      let enrolledAt = (after.enrolledAt ?? UTCInstant(seconds: 0)).seconds
      if old == nil {
        let base = (bases[id] ?? nil).map { StoredState.value($0, id: id) }
        try db.cachedExecute(
          sql: """
            INSERT INTO account (
              id, enrolledAt, referrerAccountId, referralSettled, balance, deficit, state, working, regionDay)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            id, enrolledAt, referrer, after.referralSettled, after.balance, after.lots.deficit, base,
            base == encoded ? nil : encoded, regionDays[id],
          ])
      } else if let received = bases[id] {
        let base = received.map { StoredState.value($0, id: id) }
        // A new base (a sync): the row's state and, where it is not the base, the working state; a
        // region member's day goes with its base (a base without one keeps the row's).
        try db.cachedExecute(
          sql: """
            UPDATE account SET enrolledAt = ?1, referrerAccountId = ?2, referralSettled = ?3, balance = ?4,
              deficit = ?5, state = ?6, working = ?7, regionDay = COALESCE(?9, regionDay)
            WHERE id = ?8
            """,
          arguments: [
            enrolledAt, referrer, after.referralSettled, after.balance, after.lots.deficit, base,
            base == encoded ? nil : encoded, id, regionDays[id],
          ])
      } else {
        try db.cachedExecute(
          sql: """
            UPDATE account SET enrolledAt = ?1, referrerAccountId = ?2, referralSettled = ?3, balance = ?4,
              deficit = ?5, working = CASE WHEN state IS ?6 THEN NULL ELSE ?6 END
            WHERE id = ?7
            """,
          arguments: [enrolledAt, referrer, after.referralSettled, after.balance, after.lots.deficit, encoded, id])
      }
      // The card index holds the linked cards only (`CardIndex`): a card's own account is found
      // by its id, and its enrolment stands over a link of it (`CardClaim`); the link's row is
      // kept all the same, as a block on that account blocks the card.
      for card in after.cards.subtracting(old?.cards ?? []).sorted()
      where CardIndex.needsRow(card: card, account: id) {
        try db.cachedExecute(
          sql: "INSERT OR IGNORE INTO card (id, accountId, blocked, linkedAt, publicKey) VALUES (?, ?, ?, ?, ?)",
          arguments: [
            card, id, after.blockedCards.contains(card), linkedAt[card] ?? enrolledAt, after.cardKeys[card],
          ])
      }
      for card in after.blockedCards.subtracting(old?.blockedCards ?? []) {
        try db.cachedExecute(sql: "UPDATE card SET blocked = 1 WHERE id = ?", arguments: [card])
      }
      // Only this terminal's receipts are indexed (`ReceiptIndex`): another counter's is found
      // through its customer's card. Receipt ids are the till's: another account's receipt of the
      // same number is kept.
      for receipt in after.receipts.keys
      where ReceiptIndex.isOwn(receipt, own) && !(old?.receipts.contains(receipt) ?? false) {
        try db.cachedExecute(
          sql: "INSERT OR IGNORE INTO receipt_index (id, accountId) VALUES (?, ?)",
          arguments: [receipt, StoredAccountID.value(id)])
      }
      // What the new state no longer holds (a receipt past the program's windows, what HQ's
      // restored ledger lost): gone from the indexes.
      if let old {
        for card in old.cards.subtracting(after.cards) {
          try db.cachedExecute(sql: "DELETE FROM card WHERE id = ? AND accountId = ?", arguments: [card, id])
        }
        for card in old.blockedCards.subtracting(after.blockedCards) where after.cards.contains(card) {
          try db.cachedExecute(sql: "UPDATE card SET blocked = 0 WHERE id = ?", arguments: [card])
        }
        for receipt in old.receipts.sorted() where ReceiptIndex.isOwn(receipt, own) && after.receipts[receipt] == nil {
          try db.cachedExecute(
            sql: "DELETE FROM receipt_index WHERE id = ? AND accountId = ?",
            arguments: [receipt, StoredAccountID.value(id)])
        }
      }
    }
  }
}
