/// A purchase receipt: what it earned, and what has been refunded and reversed of it.
public struct Receipt: Hashable, Sendable, Codable {
  public var account: String
  /// Seconds since 1970 (UTC).
  public var at: Int64
  public var amount: Int64
  public var points: Int64
  public var refunded: Int64
  public var reversed: Int64
  /// Its return window in days, as its earn recorded it (`Entry.pendingDays`); nil for a purchase
  /// recorded without one (the program in force's applies).
  public var pendingDays: Int?

  public init(
    account: String, at: Int64, amount: Int64, points: Int64, refunded: Int64, reversed: Int64,
    pendingDays: Int? = nil
  ) {
    self.account = account
    self.at = at
    self.amount = amount
    self.points = points
    self.refunded = refunded
    self.reversed = reversed
    self.pendingDays = pendingDays
  }

  /// When its return window closes (`ReturnWindow.closes`), or nil when it has none.
  public func windowCloses(legacyPendingDays: Int) -> UTCInstant? {
    ReturnWindow.closes(purchasedAt: UTCInstant(seconds: at), pendingDays: pendingDays, legacy: legacyPendingDays)
  }
}

/// The return window: how long a purchase's points stay pending (in the balance, not redeemable).
/// The one rule the counter, the cache, the ledger's fold, HQ's audit, the exports and the
/// settlement read.
public enum ReturnWindow {
  /// When the return window of a purchase made at `purchasedAt` closes, or nil when it has none.
  ///
  /// `pendingDays` is the window recorded with the purchase: the `pendingDays` of the program
  /// version its earn was decided under, so a later version never makes it pending again. A
  /// purchase recorded without one (an earn line written before windows were recorded, a receipt
  /// of such a cache) keeps the earlier behaviour: `legacy`, the window of the program in force.
  public static func closes(purchasedAt: UTCInstant, pendingDays: Int?, legacy: Int) -> UTCInstant? {
    let days = pendingDays ?? legacy
    return days > 0 ? purchasedAt.adding(days: days) : nil
  }
}

/// One cardholder account as the entries made it: points (lots and deficit), cards and blocks,
/// referral, activity, and receipts (the tier's inputs, and what a refund needs).
///
/// Changed only by `apply(_:rules:)`, the one reducer the counter's cache,
/// the ledger's fold and HQ's audit share. An adapter may hold a partial state — the receipts a
/// decision needs — but never a different meaning.
public struct AccountState: Hashable, Sendable {
  public let id: String
  public var lots = PointLots()
  /// Every card linked to the account, blocked ones included.
  public var cards: Set<String> = []
  public var blockedCards: Set<String> = []
  /// The public keys of the cards that can sign (`CardProof`), by card.
  public var cardKeys: [String: String] = [:]
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
  /// The tier's inputs by UTC day (read by a program of format 2).
  public var tierDays = TierDays()

  public init(id: String) { self.id = id }

  /// Σ lots − deficit.
  public var balance: Int64 { lots.balance }

  /// Points of purchases not redeemable yet at `t`: those whose return window has not closed by
  /// `t` (`ReturnWindow`: each purchase's own, the one of the version it was made under;
  /// `legacyPendingDays`, the program in force's, for those recorded without one) — dated after
  /// `t` included: an earn dated ahead cannot pay for a redemption dated before it. In the
  /// balance, not redeemable yet. A refund inside the window reverses pending points first (its
  /// receipt's points are what it reverses). Never more than the balance. The one rule the
  /// counter's redemption and HQ's audit read.
  public func pending(at t: UTCInstant, legacyPendingDays: Int) -> Int64 {
    guard balance > 0 else { return 0 }
    var points: Int64 = 0
    for r in receipts.values {
      guard let closes = r.windowCloses(legacyPendingDays: legacyPendingDays), closes > t else { continue }
      points = points.addingReportingOverflow(max(0, r.points - r.reversed)).partialValue
    }
    return min(points, balance)
  }

  /// What can be redeemed at `t`: the balance less the pending points.
  public func available(at t: UTCInstant, legacyPendingDays: Int) -> Int64 {
    balance - pending(at: t, legacyPendingDays: legacyPendingDays)
  }

  /// The purchases within the tier window before `t`, as the tier rule reads them.
  public func purchases(before t: UTCInstant, windowDays: Int) -> [PurchaseFact] {
    let start = t.adding(days: -windowDays)
    return receipts.values.filter { $0.at > start.seconds && $0.at < t.seconds }.sorted { $0.at < $1.at }.map {
      PurchaseFact(at: UTCInstant(seconds: $0.at), amount: $0.amount, refunded: $0.refunded)
    }
  }
}
