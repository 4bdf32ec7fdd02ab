import Foundation
import GRDB
import LoyaltyCore

/// What taking HQ's answer to a look-up did (`PointsCache.takeLookUp`).
public enum LookUpOutcome: Sendable, Equatable {
  /// The replica holds the account from HQ already: nothing taken.
  case held(account: String)
  /// The account is taken: the counter decides on it, as HQ's audit will, until its next sync.
  /// `hqAhead`: how many seqs HQ's ledger was past this counter's basis (what other shops
  /// recorded since its last sync is not in it; a sync brings it).
  case taken(account: String, balance: Int64, hqAhead: Int64)
  /// No account held the card on this counter's basis: a purchase earns provisionally (or the
  /// cashier enrols the card).
  case unknown
}

extension PointsCache {
  /// What a look-up of `card` asks HQ for: this counter's basis (its checkpoint's seq), and the
  /// account holding the card that the counter decides on in full already, if any (then there is
  /// nothing to look up): one HQ vouched for here — by the epoch, or by a look-up since the last
  /// sync — or, at a counter in no region, any account it knows. Nil before the cache holds HQ's
  /// states.
  public func lookUpQuestion(card: String) throws -> (basis: Int64, held: String?)? {
    try pool.read { db in try lookUpQuestion(db, card: card) }
  }

  func lookUpQuestion(_ db: Database, card: String) throws -> (basis: Int64, held: String?)? {
    guard try Self.isReplica(db), let basis = try Int64.fetchOne(db, sql: "SELECT lastSeq FROM checkpoint WHERE id = 1")
    else { return nil }
    let owner = try String.fetchOne(db, sql: "SELECT terminal FROM owner WHERE id = 1") ?? ""
    let program = try program(db)
    let held = try cardFacts(db, card).flatMap { f in
      try Self.isUnheld(db, account: f.account, terminal: owner, program: program) ? nil : f.account
    }
    return (basis, held)
  }

  /// Takes HQ's answer to a look-up of `card` (`state`: the card's account on `basis` as HQ's audit
  /// takes this terminal to know it, checked by the caller; nil: none), in one transaction: the
  /// account's row becomes that state with this terminal's unsynced entries on top, outside the
  /// states the epoch vouched for (`account.state` stays NULL, the digest is not moved), and is
  /// listed in `looked_up` until the next sync, which drops it. Refused when the counter's basis
  /// is no longer `basis` (it synced meanwhile).
  /// `answer` is HQ's answer as received (its signature included), kept for `check`.
  public func takeLookUp(
    card: String, state: AccountState?, basis: Int64, headSeq: Int64, answer: String, at time: UTCInstant
  ) throws -> LookUpOutcome {
    try pool.write { db in
      let now = try Int64.fetchOne(db, sql: "SELECT lastSeq FROM checkpoint WHERE id = 1")
      guard try Self.isReplica(db), now == basis else {
        throw ReplicaError(
          "HQ's answer is on basis \(basis), this counter decides on \(now.map { "basis \($0)" } ?? "none yet"): "
            + "nothing taken; look the card up again")
      }
      guard let state else { return .unknown }
      if try Bool.fetchOne(db, sql: "SELECT state IS NOT NULL FROM account WHERE id = ?", arguments: [state.id]) == true
      {
        return .held(account: state.id)
      }
      let rules = StateRules(try? program(db))
      var set = CacheWorkingSet()
      try Self.rebase(db, state.id, base: state, bytes: nil, hasUnsynced: true, into: &set, rules: rules)
      try set.store(db)
      try db.cachedExecute(
        sql: "INSERT OR REPLACE INTO looked_up (accountId, card, basis, state, answer, at) VALUES (?, ?, ?, ?, ?, ?)",
        arguments: [state.id, card, basis, Data(AccountStateEncoding.encode(state)), answer, time.seconds])
      return .taken(
        account: state.id, balance: set.states[state.id]?.balance ?? state.balance, hqAhead: max(0, headSeq - basis))
    }
  }

  /// An account looked up since the last sync: the card asked for, the basis, HQ's state and
  /// HQ's answer as received.
  public struct LookedUp: Sendable {
    public var card: String
    public var basis: Int64
    public var state: AccountState
    public var answer: String
  }

  /// The accounts looked up since the last sync, by account.
  public func lookedUp() throws -> [String: LookedUp] {
    try pool.read { db in
      var out: [String: LookedUp] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT accountId, card, basis, state, answer FROM looked_up") {
        let bytes: Data = row["state"]
        out[row["accountId"]] = LookedUp(
          card: row["card"], basis: row["basis"], state: try AccountStateEncoding.decode(bytes), answer: row["answer"])
      }
      return out
    }
  }

  /// HQ's state of `account` as a look-up since the last sync gave it, or nil.
  static func lookedUpState(_ db: Database, account: String) throws -> AccountState? {
    try Data.fetchOne(db, sql: "SELECT state FROM looked_up WHERE accountId = ?", arguments: [account])
      .map { try AccountStateEncoding.decode($0) }
  }
}
