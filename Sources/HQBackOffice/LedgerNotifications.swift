import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore

/// One event HQ tells a customer-messaging system about: its `id` is the idempotency key, the
/// same every time the same fact is announced. It names the account and the last four
/// characters of a card, never a full card number.
public struct NotificationEvent: Codable, Hashable, Sendable {
  public enum Kind: String, Codable, Sendable, CaseIterable { case pointsEarned, pointsExpiringSoon, inactive }

  /// Points expiring on one date (a `pointsExpiringSoon` lists each).
  public struct Lot: Codable, Hashable, Sendable {
    public var points: Int64
    public var expiresAt: String
  }

  public var id: String
  public var type: Kind
  /// The cardholder's account (for a provisional earn, the account the card belongs to).
  public var account: String
  public var cardLast4: String?
  /// The points earned, or expiring in all.
  public var points: Int64?
  /// The cardholder's balance when the run read the ledger.
  public var balance: Int64?
  public var receipt: String?
  /// When the fact happened (the earn), or until when (the earliest expiry), or since when (the
  /// last purchase), ISO 8601 UTC.
  public var at: String
  /// A `pointsEarned` at a counter that did not know the card yet: the points join `balance` when
  /// HQ settles them (`ledger settle-provisional`), which may not have happened yet.
  public var provisional: Bool?
  /// A `pointsExpiringSoon`'s points by expiry date, earliest first.
  public var lots: [Lot]?
}

/// Which events the ledger holds for the notifier: an earn accepted after `lastSeq` is a
/// `pointsEarned`; an account's points expiring within the program's `expiryWarningDays` after
/// `asOf` one `pointsExpiringSoon` (all its lots, the total and the earliest date); an account
/// without a purchase for `reengageAfterDays` an `inactive` (once per quiet spell). Only accounts
/// with a card are announced: nobody can be told about the others. Read through the audited fold:
/// what every reader leaves out is never announced.
public enum LedgerNotifications {
  public static func events(path: String, after lastSeq: Int64, asOf: UTCInstant) throws(LedgerError) -> (
    events: [NotificationEvent], lastSeq: Int64
  ) {
    var fold = LedgerFold()
    var earns: [LedgerEntry] = []
    let state = try LedgerVerifier.readVerified(
      path: path,
      each: { line in
        fold.take(line) { e in
          if e.seq > lastSeq, e.kind == .earn, e.account != nil { earns.append(e) }
        }
      }, excluded: { fold.exclude($0) })
    let accounts = fold.accounts
    var holder: [String: String] = [:]
    for (id, account) in accounts { for card in account.cards { holder[card] = id } }
    let earned = earns.compactMap { pointsEarned($0, accounts: accounts, holder: holder) }
    var standing: [NotificationEvent] = []
    let program = fold.program
    let warning = program?.expiryWarningDays ?? 30
    let quiet = program?.reengageAfterDays ?? 60
    for (id, account) in accounts.sorted(by: { $0.key < $1.key }) where !account.cards.isEmpty {
      let card = (account.cards.subtracting(account.blockedCards).min() ?? account.cards.min()).map(last4)
      let soon = account.lots.lots.filter { $0.expiresAt > asOf && $0.expiresAt <= asOf.adding(days: warning) }
      if let earliest = soon.map(\.expiresAt).min() {
        let lots = Set(soon.map(\.expiresAt)).sorted().map { date in
          NotificationEvent.Lot(
            points: soon.filter { $0.expiresAt == date }.reduce(Int64(0)) { $0 + $1.remaining },
            expiresAt: date.description)
        }
        standing.append(
          NotificationEvent(
            id: "pointsExpiringSoon-\(id)-\(earliest.seconds)", type: .pointsExpiringSoon, account: id,
            cardLast4: card, points: lots.reduce(0) { $0 + $1.points }, balance: account.balance,
            at: earliest.description, lots: lots))
      }
      let lastPurchase = account.receipts.values.map(\.at).max().map { UTCInstant(seconds: $0) } ?? account.enrolledAt
      if let lastPurchase, lastPurchase.adding(days: quiet) <= asOf {
        standing.append(
          NotificationEvent(
            id: "inactive-\(id)-\(lastPurchase.seconds)", type: .inactive, account: id, cardLast4: card,
            balance: account.balance, at: lastPurchase.description))
      }
    }
    return (earned + standing, max(lastSeq, state.lastSeq))
  }

  /// An earn as its cardholder should hear of it: on the account that holds its card now. A
  /// provisional earn went to the card's own account; when the card was linked to another
  /// account instead, HQ moves the points there, so the event names that account and its balance
  /// and says the points are provisional. An earn on a card nobody holds is not announced.
  static func pointsEarned(
    _ e: LedgerEntry, accounts: [String: AccountState], holder: [String: String]
  ) -> NotificationEvent? {
    guard let earnedOn = e.account else { return nil }
    let account: String
    var provisional: Bool?
    if let card = e.card, e.entry.isProvisional {
      guard let owner = holder[card] else { return nil }
      account = owner
      if owner != earnedOn { provisional = true }
    } else {
      guard accounts[earnedOn]?.cards.isEmpty == false else { return nil }
      account = earnedOn
    }
    return NotificationEvent(
      id: "pointsEarned-\(e.id)", type: .pointsEarned, account: account, cardLast4: e.card.map(last4),
      points: e.points, balance: accounts[account]?.balance, receipt: e.receipt, at: e.at.description,
      provisional: provisional)
  }

  static func last4(_ card: String) -> String { String(card.suffix(4)) }
}
