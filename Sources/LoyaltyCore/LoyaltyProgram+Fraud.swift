extension LoyaltyProgram {
  /// HQ's fraud detectors' thresholds (`ledger findings`): the program's optional `fraud` object,
  /// each field bounded, each with a default when absent. Counters ignore them: what a detector
  /// reports is read at HQ, from the ledger, never decided at a counter.
  public struct FraudThresholds: Hashable, Sendable {
    /// One card on many customers' baskets: a card earning more than this many times at one
    /// terminal in one UTC day.
    public var maxCardEarnsPerDay: Int64 = 10
    /// …or holding more than this share (percent) of a terminal's earns in one UTC day…
    public var maxCardSharePercent: Int64 = 30
    /// …when the terminal recorded at least this many earns that day.
    public var minShopEarnsForShare: Int64 = 20
    /// Dormant accounts redeemed at another shop: days without an entry on the account before a
    /// redemption away from its home shop.
    public var dormantDays: Int64 = 180
    /// Referral chains with minimal first purchases: referees of one referrer, each with a first
    /// purchase just above `referral.minFirstPurchase`, from which a referrer is reported…
    public var minReferees: Int64 = 3
    /// …"just above" being at most this many percent above the minimum (0: exactly the minimum).
    public var firstPurchaseMarginPercent: Int64 = 10

    public init() {}

    /// Each threshold's JSON name, bounds and key path, in the order the docs list them.
    static let fields:
      [(name: String, bounds: ClosedRange<Int64>, path: WritableKeyPath<FraudThresholds, Int64> & Sendable)] = [
        ("maxCardEarnsPerDay", 1...10_000, \.maxCardEarnsPerDay),
        ("maxCardSharePercent", 1...100, \.maxCardSharePercent),
        ("minShopEarnsForShare", 1...1_000_000, \.minShopEarnsForShare),
        ("dormantDays", 1...3660, \.dormantDays),
        ("minReferees", 1...10_000, \.minReferees),
        ("firstPurchaseMarginPercent", 0...1000, \.firstPurchaseMarginPercent),
      ]

    /// Each threshold by its JSON name, in the order the docs list them.
    public var named: [(name: String, value: Int64)] { Self.fields.map { ($0.name, self[keyPath: $0.path]) } }

    /// The `fraud` object of a program document (`value` nil: every default), its problems
    /// recorded in `w` with their paths, like every other field's.
    static func parse(_ value: JSONValue?, _ w: DocumentWalker) -> FraudThresholds {
      var thresholds = FraudThresholds()
      guard let value, let object = w.object(value, "fraud", required: [], optional: Set(fields.map(\.name))) else {
        return thresholds
      }
      for field in fields {
        if let given = w.integer(object[field.name], "fraud.\(field.name)", in: field.bounds) {
          thresholds[keyPath: field.path] = given
        }
      }
      return thresholds
    }
  }
}
