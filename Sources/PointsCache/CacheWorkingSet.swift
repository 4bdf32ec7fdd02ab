import Foundation
import GRDB
import LoyaltyCore

/// The accounts one transaction touches: loaded from their rows, changed only by the core's
/// reducer, written back once. The cache's only way to change an account.
struct CacheWorkingSet {
  private var before: [String: AccountState] = [:]
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

  /// The account's state with its receipts in `window` (seconds, exclusive) and the ones named,
  /// or nil when this cache has no such account.
  static func load(
    _ db: Database, account id: String, window: Range<Int64>? = nil, receipts: some Collection<String> = [],
    allReceipts: Bool = false
  )
    throws -> AccountState?
  {
    guard let row = try db.cachedOne(AccountRecord.self, sql: "SELECT * FROM account WHERE id = ?", arguments: [id])
    else { return nil }
    var state = AccountState(id: id)
    state.enrolledAt = UTCInstant(seconds: row.enrolledAt)
    state.referrer = row.referrerAccountId
    state.referralSettled = row.referralSettled
    let lots = try db.cachedAll(
      LotRecord.self, sql: "SELECT * FROM lot WHERE accountId = ? ORDER BY earnedAt, id", arguments: [id])
    state.lots = try PointLots(
      lots: lots.map {
        .init(
          earnedAt: UTCInstant(seconds: $0.earnedAt), expiresAt: UTCInstant(seconds: $0.expiresAt),
          remaining: $0.remaining)
      }, deficit: row.deficit)
    for card in try db.cachedAll(CardRecord.self, sql: "SELECT * FROM card WHERE accountId = ?", arguments: [id]) {
      state.cards.insert(card.id)
      if card.blocked { state.blockedCards.insert(card.id) }
      if let key = card.publicKey { state.cardKeys[card.id] = key }
    }
    var found: [ReceiptRecord] = []
    if allReceipts {
      found += try db.cachedAll(ReceiptRecord.self, sql: "SELECT * FROM receipt WHERE accountId = ?", arguments: [id])
    } else if let window {
      found += try db.cachedAll(
        ReceiptRecord.self, sql: "SELECT * FROM receipt WHERE accountId = ? AND at > ? AND at < ?",
        arguments: [id, window.lowerBound, window.upperBound])
    }
    for receipt in receipts {
      if let r = try db.cachedOne(
        ReceiptRecord.self, sql: "SELECT * FROM receipt WHERE id = ? AND accountId = ?", arguments: [receipt, id])
      {
        found.append(r)
      }
    }
    for r in found { state.receipts[r.id] = r.receipt }
    return state
  }

  /// Adds an account loaded (or created) for this transaction.
  mutating func track(_ state: AccountState, isNew: Bool) {
    guard states[state.id] == nil else { return }
    if !isNew { before[state.id] = state }
    states[state.id] = state
    order.append(state.id)
  }

  /// The account of `entry`, loaded if not yet in the set, with the receipt the entry names.
  mutating func prepare(_ db: Database, for entry: Entry) throws {
    guard let id = entry.account else { return }
    guard let state = states[id] else {
      if let state = try Self.load(db, account: id, receipts: entry.receipt.map { [$0] } ?? []) {
        track(state, isNew: false)
      } else {
        track(AccountState(id: id), isNew: true)
      }
      return
    }
    // An account already in the set: a receipt this entry names may not be loaded yet.
    guard let receipt = entry.receipt, state.receipts[receipt] == nil, before[id] != nil,
      let row = try db.cachedOne(
        ReceiptRecord.self, sql: "SELECT * FROM receipt WHERE id = ? AND accountId = ?", arguments: [receipt, id])
    else { return }
    states[id]?.receipts[receipt] = row.receipt
    before[id]?.receipts[receipt] = row.receipt
  }

  /// Rebuilds an account from its journal (entries HQ refused are not in it: they were moved to
  /// `refusal`): its lots, cards and receipts are cleared and every remaining entry is replayed with the core's reducer (the
  /// only way an entry's effect is undone).
  mutating func rebuild(_ db: Database, account id: String, expiryDays: Int) throws {
    try db.cachedExecute(sql: "DELETE FROM lot WHERE accountId = ?", arguments: [id])
    try db.cachedExecute(sql: "DELETE FROM card WHERE accountId = ?", arguments: [id])
    try db.cachedExecute(sql: "DELETE FROM receipt WHERE accountId = ?", arguments: [id])
    var state = AccountState(id: id)
    let rows = try db.cachedAll(
      EntryRecord.self, sql: "SELECT * FROM entry WHERE accountId = ? ORDER BY seq",
      arguments: [id])
    for row in rows {
      let known = state.cards
      guard (try? state.apply(row.entry, expiryDays: expiryDays)) != nil else { continue }
      for card in state.cards.subtracting(known) { linkedAt[card] = row.at }
    }
    var empty = AccountState(id: id)
    empty.enrolledAt = state.enrolledAt
    before[id] = empty
    states[id] = state
    order.append(id)
  }

  /// Sets an account to `base` (HQ's state of it, nil when HQ does not know it) with `unsynced`
  /// (this terminal's entries HQ does not hold yet, oldest first) applied on top by the core's
  /// reducer; an entry it refuses is skipped, as it was when recorded on a different state.
  /// `before` is what its rows hold now (nil: no rows), what `store` writes the difference from.
  mutating func rebase(
    _ id: String, base: AccountState?, bytes: Data?, unsynced: [Entry], before: AccountState?, expiryDays: Int
  ) {
    var state = base ?? AccountState(id: id)
    for entry in unsynced {
      let known = state.cards
      guard (try? state.apply(entry, expiryDays: expiryDays)) != nil else { continue }
      for card in state.cards.subtracting(known) { linkedAt[card] = entry.at.seconds }
    }
    if let before { self.before[id] = before }
    states[id] = state
    order.append(id)
    bases[id] = .some(bytes)
  }

  /// Applies `entry` to its account with the core's reducer.
  mutating func apply(_ entry: Entry, expiryDays: Int) throws(RuleError) {
    guard let id = entry.account, var state = states[id] else { return }
    let knownCards = state.cards
    try state.apply(entry, expiryDays: expiryDays)
    for card in state.cards.subtracting(knownCards) { linkedAt[card] = entry.at.seconds }
    states[id] = state
  }

  /// Writes every touched account back: its row, lots, cards and receipts.
  func store(_ db: Database) throws {
    // A referee may be touched before its referrer (its provisional earn learnt first, then its
    // enrolment naming a referrer learnt in the same sync): the referrer column is checked when
    // the transaction commits, once every row is written, not row by row.
    try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
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
      var row = AccountRecord(
        id: id, enrolledAt: (after.enrolledAt ?? UTCInstant(seconds: 0)).seconds, referrerAccountId: referrer,
        referralSettled: after.referralSettled, balance: after.balance, deficit: after.lots.deficit)
      if old == nil {
        row.state = bases[id] ?? nil
        try row.insert(db)
      } else {
        try db.cachedExecute(
          sql: """
            UPDATE account SET enrolledAt = ?, referrerAccountId = ?, referralSettled = ?, balance = ?, deficit = ?
            WHERE id = ?
            """,
          arguments: [row.enrolledAt, row.referrerAccountId, row.referralSettled, row.balance, row.deficit, id])
        if let base = bases[id] {
          try db.cachedExecute(sql: "UPDATE account SET state = ? WHERE id = ?", arguments: [base, id])
        }
      }
      // What a new base no longer holds (HQ restored its ledger from a backup): gone.
      if let old {
        for card in old.cards.subtracting(after.cards) {
          try db.cachedExecute(sql: "DELETE FROM card WHERE id = ? AND accountId = ?", arguments: [card, id])
        }
        for card in old.blockedCards.subtracting(after.blockedCards) where after.cards.contains(card) {
          try db.cachedExecute(sql: "UPDATE card SET blocked = 0 WHERE id = ?", arguments: [card])
        }
        for receipt in Set(old.receipts.keys).subtracting(after.receipts.keys) {
          try db.cachedExecute(
            sql: "DELETE FROM receipt WHERE id = ? AND accountId = ?", arguments: [receipt, id])
        }
      }
      try storeLots(db, id, old?.lots, after.lots)
      for card in after.cards.subtracting(old?.cards ?? []).sorted() {
        try db.cachedExecute(
          sql: "INSERT OR IGNORE INTO card (id, accountId, blocked, linkedAt, publicKey) VALUES (?, ?, ?, ?, ?)",
          arguments: [
            card, id, after.blockedCards.contains(card), linkedAt[card] ?? row.enrolledAt, after.cardKeys[card],
          ])
      }
      for card in after.blockedCards.subtracting(old?.blockedCards ?? []) {
        try db.cachedExecute(sql: "UPDATE card SET blocked = 1 WHERE id = ?", arguments: [card])
      }
      for (receipt, r) in after.receipts where old?.receipts[receipt] != r {
        if old?.receipts[receipt] == nil {
          // Receipt ids are the till's: another account's receipt of the same number is kept.
          try db.cachedExecute(
            sql: """
              INSERT OR IGNORE INTO receipt (id, accountId, at, amount, points, refunded, reversed, pendingDays)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?)
              """, arguments: [receipt, id, r.at, r.amount, r.points, r.refunded, r.reversed, r.pendingDays])
        } else {
          try db.cachedExecute(
            sql: "UPDATE receipt SET refunded = ?, reversed = ? WHERE id = ? AND accountId = ?",
            arguments: [r.refunded, r.reversed, receipt, id])
        }
      }
    }
  }

  /// Lots rewritten only where they changed: new lots after the old ones (a plain credit) are
  /// appended; anything else rewrites the account's lots.
  private func storeLots(_ db: Database, _ id: String, _ old: PointLots?, _ new: PointLots) throws {
    guard old != new else { return }
    let kept = old?.lots ?? []
    var fresh = new.lots[...]
    if new.lots.count >= kept.count, Array(new.lots.prefix(kept.count)) == kept {
      fresh = new.lots.dropFirst(kept.count)
    } else {
      try db.cachedExecute(sql: "DELETE FROM lot WHERE accountId = ?", arguments: [id])
      fresh = new.lots[...]
    }
    for lot in fresh {
      try db.cachedExecute(
        sql: "INSERT INTO lot (accountId, earnedAt, expiresAt, remaining) VALUES (?, ?, ?, ?)",
        arguments: [id, lot.earnedAt.seconds, lot.expiresAt.seconds, lot.remaining])
    }
  }
}

extension ReceiptRecord {
  var receipt: Receipt {
    Receipt(
      account: accountId, at: at, amount: amount, points: points, refunded: refunded, reversed: reversed,
      pendingDays: pendingDays)
  }
}
