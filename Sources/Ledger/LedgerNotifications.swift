import Foundation
import LoyaltyCore

/// One event HQ tells a customer-messaging system about: its `id` is the idempotency key, the
/// same every time the same fact is announced. It names the account and the last four
/// characters of a card, never a full card number.
public struct NotificationEvent: Codable, Hashable, Sendable {
  public enum Kind: String, Codable, Sendable, CaseIterable { case pointsEarned, pointsExpiringSoon, inactive }

  public var id: String
  public var type: Kind
  public var account: String
  public var cardLast4: String?
  public var points: Int64?
  public var balance: Int64?
  public var receipt: String?
  /// When the fact happened (the earn), or until when (the expiry), or since when (the last
  /// purchase), ISO 8601 UTC.
  public var at: String
}

/// Which events the ledger holds for the notifier: an earn accepted after `lastSeq` is a
/// `pointsEarned`; points expiring within the program's `expiryWarningDays` after `asOf` a
/// `pointsExpiringSoon`; an account without a purchase for `reengageAfterDays` an `inactive`
/// (once per quiet spell). Read through the audited fold: what every reader leaves out is never
/// announced.
public enum LedgerNotifications {
  public static func events(path: String, after lastSeq: Int64, asOf: UTCInstant) throws(LedgerError) -> (
    events: [NotificationEvent], lastSeq: Int64
  ) {
    var fold = LedgerFold()
    var earned: [NotificationEvent] = []
    let state = try LedgerVerifier.readVerified(
      path: path,
      each: { line in
        fold.take(line) { e in
          guard e.seq > lastSeq, e.kind == .earn, let account = e.account else { return }
          earned.append(
            NotificationEvent(
              id: "pointsEarned-\(e.id)", type: .pointsEarned, account: account, cardLast4: e.card.map(last4),
              points: e.points, receipt: e.receipt, at: e.at.description))
        }
      }, excluded: { fold.exclude($0) })
    for i in earned.indices { earned[i].balance = fold.accounts[earned[i].account]?.balance }
    var standing: [NotificationEvent] = []
    let program = fold.program
    let warning = program?.expiryWarningDays ?? 30
    let quiet = program?.reengageAfterDays ?? 60
    for (id, account) in fold.accounts.sorted(by: { $0.key < $1.key }) {
      let card = (account.cards.subtracting(account.blockedCards).min() ?? account.cards.min()).map(last4)
      let soon = account.lots.lots.filter { $0.expiresAt > asOf && $0.expiresAt <= asOf.adding(days: warning) }
      for expiresAt in Set(soon.map(\.expiresAt)).sorted() {
        let points = soon.filter { $0.expiresAt == expiresAt }.reduce(Int64(0)) { $0 + $1.remaining }
        standing.append(
          NotificationEvent(
            id: "pointsExpiringSoon-\(id)-\(expiresAt.seconds)", type: .pointsExpiringSoon, account: id,
            cardLast4: card, points: points, balance: account.balance, at: expiresAt.description))
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

  static func last4(_ card: String) -> String { String(card.suffix(4)) }
}
