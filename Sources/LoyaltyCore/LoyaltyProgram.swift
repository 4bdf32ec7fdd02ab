/// A loyalty program as HQ publishes it: earning rates, promotions, tiers, referral, expiry,
/// the redemption catalogue and the counter's limits. Validated as a whole by `ProgramParser`.
public struct LoyaltyProgram: Hashable, Sendable {
  public struct Promotion: Hashable, Sendable {
    public var id: String
    public var from: UTCInstant
    public var until: UTCInstant
    /// `nil`: every category.
    public var categories: [String]?
    public var multiplier: Decimal4

    public init(id: String, from: UTCInstant, until: UTCInstant, categories: [String]?, multiplier: Decimal4) {
      self.id = id
      self.from = from
      self.until = until
      self.categories = categories
      self.multiplier = multiplier
    }
  }

  public struct Tier: Hashable, Sendable {
    public var name: String
    /// Minimum spend in the window, in minor units; `nil` for the default (first) tier.
    public var minSpend: Int64?
    public var minVisits: Int?
    public var multiplier: Decimal4
  }

  public struct Referral: Hashable, Sendable {
    public var referrerPoints: Int64
    public var refereePoints: Int64
    public var minFirstPurchase: Int64
    /// The chain-wide bound on a referrer: at most this many referrer bonuses to one account in
    /// any `periodDays` UTC days (nil: no bound). Held by HQ's audit (`CounterLimits.checkReferrerBonus`).
    public var maxReferralsPerReferrer: Int? = nil
    /// The window of that bound, in UTC days (given with it).
    public var periodDays: Int? = nil
  }

  public enum ItemKind: String, Hashable, Sendable, CaseIterable {
    case product, giftCard, donation
  }

  public struct CatalogueItem: Hashable, Sendable {
    public var id: String
    public var kind: ItemKind
    public var points: Int64
    public var name: String
  }

  public struct Limits: Hashable, Sendable {
    public var debounceSeconds: Int64
    public var maxEarnsPerCardPerHour: Int
    public var offlineRedeemPointsPerDay: Int64
    /// The most a purchase's line may be, in minor units (nil: only the ledger's own bound).
    /// Checked by the purchase rule, so the counter refuses it and HQ's audit refuses an earn
    /// beyond it that a dishonest counter recorded: a fake sale mints at most this.
    public var maxLineAmount: Int64? = nil
    /// The most a purchase's total may be, in minor units (nil: only the ledger's own bound).
    public var maxPurchaseAmount: Int64? = nil
    /// The chain-wide bound on one card's earns in a UTC day, at every terminal together (nil: no
    /// bound). Held by HQ's audit (`CounterLimits.checkDailyEarns`).
    public var maxEarnsPerCardPerDay: Int? = nil
  }

  public var version: Int
  public var currency: String
  public var minorUnits: Int
  public var pointsPerUnit: Decimal4
  public var categoryRates: [String: Decimal4]
  public var promotions: [Promotion]
  public var tiers: [Tier]
  public var tierWindowDays: Int
  public var referral: Referral?
  public var expiryDays: Int
  /// The expiry a reader applies before any program is published.
  public static let defaultExpiryDays = 365

  /// How long an account keeps a receipt under `program`: while it can be refunded (its own
  /// return window, recorded with it, is kept too), and under format 1, whose tier reads receipts,
  /// while it counts for the tier. Nil before any program: receipts are kept.
  public static func receiptDays(_ program: LoyaltyProgram?) -> Int? {
    program.map { $0.format >= 2 ? $0.refundDays : max($0.refundDays, $0.tierWindowDays) }
  }
  /// The program format: 2 reads the tier from whole UTC days (`TierDays`) and keeps points as a
  /// lot per UTC day, expiring at a day's end; 1 (a program that names no format) reads the tier
  /// from the receipts and keeps a lot per credit, to the second.
  public var format: Int = 1
  /// The formats this build reads.
  public static let formats = 1...2
  public var catalogue: [CatalogueItem]
  public var limits: Limits
  /// A purchase's points become redeemable this many days after it (the return window); 0: at
  /// once. Until then they are pending: in the balance, not spendable.
  public var pendingDays: Int = 0
  /// A purchase can be refunded at a counter this many days after it, no later (HQ can still
  /// adjust the points). An account keeps a receipt while it can be refunded, counts for the tier
  /// or is pending (`receiptDays`), so its state is bounded by these windows, not by its age.
  /// Absent from a program: its `tierWindowDays`.
  public var refundDays: Int = 365
  /// HQ's notifications: points expiring within this many days are announced (default 30).
  public var expiryWarningDays: Int = 30
  /// HQ's notifications: an account with no purchase for this many days gets a re-engagement
  /// event (default 60).
  public var reengageAfterDays: Int = 60
  /// A purchase counts as a tier visit only when its total (minor units, before refunds) is at
  /// least this; its spend counts in full either way. 0 (the default): every purchase is a visit.
  public var minVisitAmount: Int64 = 0
  /// What an account whose cards cannot sign may spend without a card's signature (`CardProofPolicy`);
  /// nil: no bound beyond the counter's own limits.
  public var cardProof: CardProofRules? = nil
  /// The regions whose terminals hold partial replicas (`ProgramRegions`); nil: every terminal
  /// holds every account.
  public var regions: ProgramRegions? = nil
  /// HQ's fraud detectors' thresholds (`LoyaltyProgram+Fraud.swift`); the defaults when absent.
  public var fraud = FraudThresholds()

  /// The rate of `category` (1 when the program does not list it).
  public func rate(of category: String) -> Decimal4 { categoryRates[category] ?? .one }

  /// The catalogue item with this id.
  public func item(_ id: String) -> CatalogueItem? { catalogue.first { $0.id == id } }
}
