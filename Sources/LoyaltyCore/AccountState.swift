/// A purchase receipt: what it earned, and what has been refunded and reversed of it.
public struct Receipt: Hashable, Sendable, Codable {
  public var account: String
  /// Seconds since 1970 (UTC).
  public var at: Int64
  public var amount: Int64
  public var points: Int64
  public var refunded: Int64
  public var reversed: Int64

  public init(account: String, at: Int64, amount: Int64, points: Int64, refunded: Int64, reversed: Int64) {
    self.account = account
    self.at = at
    self.amount = amount
    self.points = points
    self.refunded = refunded
    self.reversed = reversed
  }
}

/// One cardholder account as the entries made it: points (lots and deficit), cards and blocks,
/// referral, activity, and receipts (the tier's inputs, and what a refund needs).
///
/// Changed only by `apply(_:expiryDays:keepingReceipts:)`, the one reducer the counter's cache,
/// the ledger's fold and HQ's audit share. An adapter may hold a partial state — the receipts a
/// decision needs — but never a different meaning.
public struct AccountState: Hashable, Sendable {
  public let id: String
  public var lots = PointLots()
  /// Every card linked to the account, blocked ones included.
  public var cards: Set<String> = []
  public var blockedCards: Set<String> = []
  /// The account that referred this one, if any.
  public var referrer: String?
  /// The referral bonuses have been awarded.
  public var referralSettled = false
  public var enrolledAt: UTCInstant?
  /// Net of refunds, in minor units.
  public var lifetimeSpend: Int64 = 0
  public var purchases = 0
  /// The last entry other than an expiry.
  public var lastActivity: UTCInstant?
  /// Receipts by id.
  public var receipts: [String: Receipt] = [:]

  public init(id: String) { self.id = id }

  /// Σ lots − deficit.
  public var balance: Int64 { lots.balance }

  /// Points of purchases not redeemable yet at `t`: those inside their return window (made in the
  /// last `pendingDays`) and those dated after `t` — an earn dated ahead cannot pay for a
  /// redemption dated before it. In the balance, not redeemable yet. A refund inside the window
  /// reverses pending points first (its receipt's points are what it reverses). Never more than
  /// the balance. The one rule the counter's redemption and HQ's audit read.
  public func pending(at t: UTCInstant, pendingDays: Int) -> Int64 {
    guard pendingDays > 0, balance > 0 else { return 0 }
    let start = t.adding(days: -pendingDays).seconds
    var points: Int64 = 0
    for r in receipts.values where r.at > start {
      points = points.addingReportingOverflow(max(0, r.points - r.reversed)).partialValue
    }
    return min(points, balance)
  }

  /// What can be redeemed at `t`: the balance less the pending points.
  public func available(at t: UTCInstant, pendingDays: Int) -> Int64 {
    balance - pending(at: t, pendingDays: pendingDays)
  }

  /// The purchases within the tier window before `t`, as the tier rule reads them.
  public func purchases(before t: UTCInstant, windowDays: Int) -> [PurchaseFact] {
    let start = t.adding(days: -windowDays)
    return receipts.values.filter { $0.at > start.seconds && $0.at < t.seconds }.sorted { $0.at < $1.at }.map {
      PurchaseFact(at: UTCInstant(seconds: $0.at), amount: $0.amount, refunded: $0.refunded)
    }
  }
}
