import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore

/// One event HQ tells a customer-messaging system about: its `id` is the idempotency key, the
/// same every time the same fact is announced. It names the cardholder by HQ's keyed reference
/// (`CustomerReferences`) and the last four characters of a card: never a full card number, nor
/// an account id (an unkeyed digest of a card, from which the number can be found).
public struct NotificationEvent: Codable, Hashable, Sendable {
  public enum Kind: String, Codable, Sendable, CaseIterable { case pointsEarned, pointsExpiringSoon, inactive }

  /// Points expiring on one date (a `pointsExpiringSoon` lists each).
  public struct Lot: Codable, Hashable, Sendable {
    public var points: Int64
    public var expiresAt: String
  }

  public var id: String
  public var type: Kind
  /// The cardholder's reference (`cust-…`, `CustomerReferences`): of the account the card belongs
  /// to, for a provisional earn.
  public var customer: String
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

  enum CodingKeys: String, CodingKey {
    case id, type, customer, cardLast4, points, balance, receipt, at, provisional, lots
    /// Before references: the account id (a notifier's state file may still hold such events).
    case account
  }

  init(
    id: String, type: Kind, customer: String, cardLast4: String? = nil, points: Int64? = nil, balance: Int64? = nil,
    receipt: String? = nil, at: String, provisional: Bool? = nil, lots: [Lot]? = nil
  ) {
    (self.id, self.type, self.customer, self.cardLast4, self.points) = (id, type, customer, cardLast4, points)
    (self.balance, self.receipt, self.at, self.provisional, self.lots) = (balance, receipt, at, provisional, lots)
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let customer = try c.decodeIfPresent(String.self, forKey: .customer)
    self.init(
      id: try c.decode(String.self, forKey: .id), type: try c.decode(Kind.self, forKey: .type),
      customer: try customer ?? c.decode(String.self, forKey: .account),
      cardLast4: try c.decodeIfPresent(String.self, forKey: .cardLast4),
      points: try c.decodeIfPresent(Int64.self, forKey: .points),
      balance: try c.decodeIfPresent(Int64.self, forKey: .balance),
      receipt: try c.decodeIfPresent(String.self, forKey: .receipt), at: try c.decode(String.self, forKey: .at),
      provisional: try c.decodeIfPresent(Bool.self, forKey: .provisional),
      lots: try c.decodeIfPresent([Lot].self, forKey: .lots))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(type, forKey: .type)
    try c.encode(customer, forKey: .customer)
    try c.encodeIfPresent(cardLast4, forKey: .cardLast4)
    try c.encodeIfPresent(points, forKey: .points)
    try c.encodeIfPresent(balance, forKey: .balance)
    try c.encodeIfPresent(receipt, forKey: .receipt)
    try c.encode(at, forKey: .at)
    try c.encodeIfPresent(provisional, forKey: .provisional)
    try c.encodeIfPresent(lots, forKey: .lots)
  }

  /// The event as it is sent now: one kept from before references (naming an account id, in its
  /// `customer` and its `id`) names the account's reference instead.
  public func referenced(by references: CustomerReferences) -> NotificationEvent {
    guard customer.hasPrefix("acct-") else { return self }
    var e = self
    let reference = references.reference(of: customer)
    e.id = id.replacingOccurrences(of: customer, with: reference)
    e.customer = reference
    return e
  }
}

/// Which events the ledger holds for the notifier: an earn accepted after `lastSeq` is a
/// `pointsEarned`; an account's points expiring within the program's `expiryWarningDays` after
/// `asOf` one `pointsExpiringSoon` (all its lots, the total and the earliest date); an account
/// without a purchase for `reengageAfterDays` an `inactive` (once per quiet spell). Only accounts
/// with a card are announced: nobody can be told about the others. Read through the audited fold:
/// what every reader leaves out is never announced.
public enum LedgerNotifications {
  public static func events(
    path: String, after lastSeq: Int64, asOf: UTCInstant, references: CustomerReferences
  ) throws(LedgerError) -> (
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
    let earned = earns.compactMap { pointsEarned($0, accounts: accounts, holder: holder, references: references) }
    var standing: [NotificationEvent] = []
    let program = fold.program
    let warning = program?.expiryWarningDays ?? 30
    let quiet = program?.reengageAfterDays ?? 60
    for (id, account) in accounts.sorted(by: { $0.key < $1.key }) where !account.cards.isEmpty {
      let card = (account.cards.subtracting(account.blockedCards).min() ?? account.cards.min()).map(last4)
      let reference = references.reference(of: id)
      let soon = account.lots.lots.filter { $0.expiresAt > asOf && $0.expiresAt <= asOf.adding(days: warning) }
      if let earliest = soon.map(\.expiresAt).min() {
        let lots = Set(soon.map(\.expiresAt)).sorted().map { date in
          NotificationEvent.Lot(
            points: soon.filter { $0.expiresAt == date }.reduce(Int64(0)) { $0 + $1.remaining },
            expiresAt: date.description)
        }
        standing.append(
          NotificationEvent(
            id: "pointsExpiringSoon-\(reference)-\(earliest.seconds)", type: .pointsExpiringSoon, customer: reference,
            cardLast4: card, points: lots.reduce(0) { $0 + $1.points }, balance: account.balance,
            at: earliest.description, lots: lots))
      }
      let lastPurchase = account.receipts.values.map(\.at).max().map { UTCInstant(seconds: $0) } ?? account.enrolledAt
      if let lastPurchase, lastPurchase.adding(days: quiet) <= asOf {
        standing.append(
          NotificationEvent(
            id: "inactive-\(reference)-\(lastPurchase.seconds)", type: .inactive, customer: reference, cardLast4: card,
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
    _ e: LedgerEntry, accounts: [String: AccountState], holder: [String: String], references: CustomerReferences
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
      id: "pointsEarned-\(e.id)", type: .pointsEarned, customer: references.reference(of: account),
      cardLast4: e.card.map(last4),
      points: e.points, balance: accounts[account]?.balance, receipt: e.receipt, at: e.at.description,
      provisional: provisional)
  }

  static func last4(_ card: String) -> String { String(card.suffix(4)) }
}
