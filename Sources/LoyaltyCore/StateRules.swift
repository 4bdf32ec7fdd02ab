/// What the reducer (`AccountState.apply`) reads of the program it applies an entry under: how
/// long a lot lives and whether it is a day's lot, how long receipts and tier days are kept, and
/// what makes a purchase a visit. Made from a program with `init(_:)`, so the counter, the cache,
/// the ledger's fold and HQ's audit read the program the same way.
public struct StateRules: Hashable, Sendable {
  /// The days a lot lives.
  public var expiryDays: Int
  /// Receipts older than this many days before an entry (and past their own return window) are
  /// dropped; nil keeps them all.
  public var receiptDays: Int?
  /// Tier days older than this window before an entry are dropped; nil keeps them all.
  public var tierWindowDays: Int?
  /// A purchase of at least this total is a visit.
  public var minVisitAmount: Int64
  /// Format 2: a credit joins the lot of its UTC day, which expires at the end of the day
  /// `expiryDays` after it. Format 1: each credit is its own lot, expiring to the second.
  public var dayLots: Bool

  public init(
    expiryDays: Int, receiptDays: Int? = nil, tierWindowDays: Int? = nil, minVisitAmount: Int64 = 0,
    dayLots: Bool = false
  ) {
    self.expiryDays = expiryDays
    self.receiptDays = receiptDays
    self.tierWindowDays = tierWindowDays
    self.minVisitAmount = minVisitAmount
    self.dayLots = dayLots
  }

  /// The rules of `program`; before any program is published, lots live the default expiry and
  /// nothing is dropped.
  public init(_ program: LoyaltyProgram?) {
    guard let program else {
      self.init(expiryDays: LoyaltyProgram.defaultExpiryDays)
      return
    }
    self.init(
      expiryDays: program.expiryDays, receiptDays: LoyaltyProgram.receiptDays(program),
      tierWindowDays: program.tierWindowDays, minVisitAmount: program.minVisitAmount,
      dayLots: program.format >= 2)
  }
}
