/// What the counter shows for a card.
public struct CardholderView: Hashable, Sendable, Codable {
  public var card: String
  public var account: String
  public var blocked: Bool
  public var cards: [String]
  public var balance: Int64
  public var tier: String
  public var spendInWindow: Int64
  public var visitsInWindow: Int
  public var nextTier: NextTier?
  /// Points in the balance not redeemable yet (purchases inside their return window).
  public var pending: Int64 = 0
  /// What can be redeemed now.
  public var available: Int64 { balance - pending }
  /// A card this counter does not know, for a provisional purchase: no balance, no redemption.
  public var provisional = false

  /// The view of a card this counter does not know: its own account, nothing else.
  public static func provisional(card: String) -> CardholderView {
    var view = CardholderView(
      card: card, account: Identities.accountID(enrolledWith: card), blocked: false, cards: [], balance: 0, tier: "",
      spendInWindow: 0, visitsInWindow: 0, nextTier: nil)
    view.provisional = true
    return view
  }

  public init(
    card: String, account: String, blocked: Bool, cards: [String], balance: Int64, tier: String, spendInWindow: Int64,
    visitsInWindow: Int, nextTier: NextTier?
  ) {
    self.card = card
    self.account = account
    self.blocked = blocked
    self.cards = cards
    self.balance = balance
    self.tier = tier
    self.spendInWindow = spendInWindow
    self.visitsInWindow = visitsInWindow
    self.nextTier = nextTier
  }
}

/// The next tier and what is missing to reach it (either condition is enough).
public struct NextTier: Sendable, Codable, Hashable {
  public var name: String
  public var spendNeeded: Int64?
  public var visitsNeeded: Int?

  public init(name: String, spendNeeded: Int64?, visitsNeeded: Int?) {
    self.name = name
    self.spendNeeded = spendNeeded
    self.visitsNeeded = visitsNeeded
  }

  /// The tier after `standing`, and what it still needs; nil at the top.
  public static func after(
    _ standing: (tier: LoyaltyProgram.Tier, spend: Int64, visits: Int), in program: LoyaltyProgram
  ) -> NextTier? {
    guard let index = program.tiers.firstIndex(of: standing.tier), index + 1 < program.tiers.count else { return nil }
    let next = program.tiers[index + 1]
    return NextTier(
      name: next.name, spendNeeded: next.minSpend.map { max(0, $0 - standing.spend) },
      visitsNeeded: next.minVisits.map { max(0, $0 - standing.visits) })
  }
}

/// What the cashier reads out after an earn.
public struct EarnReceipt: Hashable, Sendable, Codable {
  public var receipt: String
  public var card: String
  public var account: String
  public var points: Int64
  public var balance: Int64
  public var tier: String
  public var nextTier: NextTier?
  /// Referral bonuses this purchase triggered: account → points.
  public var referralBonuses: [String: Int64]
  /// Earned on a card this counter did not know: the points are added to the card's account at
  /// the next sync, and `balance` is not the cardholder's (it is not shown).
  public var provisional = false

  public init(
    receipt: String, card: String, account: String, points: Int64, balance: Int64, tier: String, nextTier: NextTier?,
    referralBonuses: [String: Int64]
  ) {
    self.receipt = receipt
    self.card = card
    self.account = account
    self.points = points
    self.balance = balance
    self.tier = tier
    self.nextTier = nextTier
    self.referralBonuses = referralBonuses
  }
}

extension AccountState {
  /// The cardholder as the counter shows them at `t`; `cards` in the order they were linked.
  public func view(card: String, cards: [String], at t: UTCInstant, program: LoyaltyProgram) -> CardholderView {
    // A purchase in the same second as the view has happened: it counts (as on its receipt).
    let standing = EarnRules.standing(after: t, of: self, in: program)
    var view = CardholderView(
      card: card, account: id, blocked: blockedCards.contains(card), cards: cards, balance: balance,
      tier: standing.tier.name, spendInWindow: standing.spend, visitsInWindow: standing.visits,
      nextTier: NextTier.after(standing, in: program))
    view.pending = pending(at: t, legacyPendingDays: program.pendingDays)
    return view
  }
}
