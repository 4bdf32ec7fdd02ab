import Foundation
import GRDB
import LoyaltyCore

/// Which account holds a card. A card's own account — the one it enrolled, whose id is derived
/// from the card (`Identities.accountID(enrolledWith:)`) — needs no row: the card is found by
/// that id and checked against the account's state. Only a card linked to another account (a
/// second card, a replacement) has a row in `card` (since `v14-card-index-of-links`), so a
/// replica of millions of cardholders keeps no index entry for most of them.
///
/// Whether a card is blocked and its public key are its account's state's (`blockedCards`,
/// `cardKeys`); the rows' `blocked` and `publicKey` follow the state for the linked cards.
enum CardIndex {
  /// Whether `card` in `account` needs a row: it is not the card that account was enrolled with.
  static func needsRow(card: String, account: String) -> Bool {
    Identities.accountID(enrolledWith: card) != account
  }

  /// What the cache knows of `card`, or nil: its own account when that account's state holds
  /// it (enrolled), else its linked row. A card both enrolled and linked (two counters' claims
  /// made offline) is the enrolment's (`CardClaim`, as HQ's audit decides) unless this terminal
  /// made the link itself (its own claim stands for its own entries), and blocked when either
  /// account has it blocked.
  static func facts(_ db: Database, card: String) throws -> CardFacts? {
    let row = try db.cachedRow(sql: "SELECT accountId, blocked FROM card WHERE id = ?", arguments: [card])
    let rowBlocked = (row?["blocked"] as Bool?) ?? false
    if let keys = try ownAccountKeys(db, card: card), keys.cards.contains(card) {
      let blocked = keys.blockedCards.contains(card) || rowBlocked
      if let row, try ownLink(db, card: card, account: row["accountId"]) {
        return CardFacts(card: card, account: row["accountId"], blocked: blocked)
      }
      return CardFacts(card: card, account: Identities.accountID(enrolledWith: card), blocked: blocked)
    }
    guard let row else { return nil }
    return CardFacts(card: card, account: row["accountId"], blocked: rowBlocked)
  }

  /// Whether this terminal itself linked `card` to `account` (its journal holds the link, not
  /// refused by HQ).
  static func ownLink(_ db: Database, card: String, account: String) throws -> Bool {
    try db.cachedOne(
      Int64.self,
      sql: "SELECT 1 FROM entry WHERE card = ? AND kind = ? AND accountId = ? AND origin = 'local' LIMIT 1",
      arguments: [card, Entry.Kind.link, account]) != nil
  }

  /// The keys (cards, blocked cards) of `card`'s own account as this counter knows it, read
  /// from its bytes without building the state (a tap looks the card up before it loads the
  /// account), or nil when the cache has no such account.
  static func ownAccountKeys(_ db: Database, card: String) throws -> StateKeys? {
    let own = Identities.accountID(enrolledWith: card)
    guard
      let row = try db.cachedRow(sql: "SELECT state, working FROM account WHERE id = ?", arguments: [own])
    else { return nil }
    guard let bytes = (row["working"] as Data?) ?? (row["state"] as Data?) else {
      return StateKeys.none
    }
    return try StoredState.keys(bytes, id: own)
  }

  /// The public key (`CardProof`, hex) the account's state holds for `card`, or nil.
  static func publicKey(_ db: Database, card: String) throws -> String? {
    guard let facts = try facts(db, card: card) else { return nil }
    return try CacheWorkingSet.load(db, account: facts.account)?.cardKeys[card]
  }

  /// The state's cards in the order they were linked: the enrolling card, then the linked ones by
  /// when they were linked (then any other, sorted).
  static func cards(_ db: Database, of state: AccountState) throws -> [String] {
    let linked = try db.cachedAll(
      String.self, sql: "SELECT id FROM card WHERE accountId = ? ORDER BY linkedAt, id", arguments: [state.id])
    let own = state.cards.filter { !needsRow(card: $0, account: state.id) }.sorted()
    let listed = Set(own).union(linked)
    return own + linked.filter { state.cards.contains($0) } + state.cards.subtracting(listed).sorted()
  }

  /// Whether `card`'s own account holds it here (the card is enrolled): its enrolment stands over
  /// any link of it (`CardClaim`).
  static func ownAccountHolds(_ db: Database, card: String) throws -> Bool {
    try ownAccountKeys(db, card: card)?.cards.contains(card) ?? false
  }

  /// Where the index and `state` disagree: a row for a card the state does not hold or for its
  /// own account, a linked card found neither by its row nor by its own account.
  static func problems(_ db: Database, of state: AccountState) throws -> [String] {
    let rows = Set(
      try db.cachedAll(String.self, sql: "SELECT id FROM card WHERE accountId = ?", arguments: [state.id]))
    let linked = state.cards.filter { needsRow(card: $0, account: state.id) }
    let unfound = try linked.subtracting(rows).filter { try !ownAccountHolds(db, card: $0) }
    guard rows.isSubset(of: linked), unfound.isEmpty else {
      return ["account \(state.id): its cards differ from its state's"]
    }
    return []
  }
}
