import LedgerFormat
import LoyaltyCore

/// What the fraud detectors read: the entries HQ's audit accepted, in ledger order, gathered in
/// one pass — the period's entries, and the facts about each account they need from the whole
/// ledger before it (its home shop, its previous entry, a receipt's earn, a referee's enrolment
/// and first purchase). An entry the audit refused or left out is in none of them: it moved no
/// point and is in `ledger report`'s refusals instead.
public struct FraudLedger: Sendable {
  /// A referred account's first purchase, and the referral's minimum under the program in force
  /// then (nil: that program paid no referral bonus).
  struct FirstPurchase: Sendable {
    var earn: LedgerEntry
    var minimum: Int64?
  }

  /// The period read, [from, until); either end open when nil.
  public let from: UTCInstant?
  public let until: UTCInstant?
  /// The latest program's thresholds (the defaults before one is published, or when it sets none).
  public private(set) var thresholds = LoyaltyProgram.FraudThresholds()
  /// The latest program's currency and minor units, for the figures said in money.
  private(set) var currency: String?
  private(set) var minorUnits = LoyaltyProgram.defaultMinorUnits

  /// Each account's home shop, from the whole ledger.
  private(set) var homes = HomeShops()
  /// The period's accepted entries on an account, in ledger order.
  private(set) var entries: [LedgerEntry] = []
  /// For each of the period's redemptions (by seq): its account's previous entry, if any.
  private(set) var previousEntry: [Int64: LedgerEntry] = [:]
  /// Every receipt's earn.
  private(set) var earns: [String: LedgerEntry] = [:]
  /// A referred account's enrolment (its `ref` names the referrer).
  private(set) var referredBy: [String: LedgerEntry] = [:]
  private(set) var firstPurchases: [String: FirstPurchase] = [:]
  /// The card each account was enrolled with.
  private(set) var enrolledCard: [String: String] = [:]
  /// Each account's latest entry so far (HQ's expiries aside: they are no customer's doing, and
  /// they come precisely to the accounts that are quiet).
  private var latest: [String: LedgerEntry] = [:]

  public init(from: UTCInstant? = nil, until: UTCInstant? = nil) {
    self.from = from
    self.until = until
  }

  /// Whether `at` is in the period.
  func inPeriod(_ at: UTCInstant) -> Bool {
    if let from, at < from { return false }
    if let until, at >= until { return false }
    return true
  }

  /// Takes the next entry the audit accepted; `fold` has taken it (for the program in force).
  mutating func take(_ e: LedgerEntry, in fold: LedgerFold) {
    homes.take(e.entry)
    guard e.kind.concernsAnAccount, let account = e.account else { return }
    if inPeriod(e.at) {
      entries.append(e)
      if e.kind == .redeem { previousEntry[e.seq] = latest[account] }
    }
    if e.kind != .expiry { latest[account] = e }
    switch e.kind {
    case .earn:
      if let receipt = e.receipt, earns[receipt] == nil { earns[receipt] = e }
      if referredBy[account] != nil, firstPurchases[account] == nil {
        firstPurchases[account] = FirstPurchase(
          earn: e, minimum: fold.audit.program(at: e.seq)?.referral?.minFirstPurchase)
      }
    case .enroll:
      if let card = e.card, enrolledCard[account] == nil { enrolledCard[account] = card }
      if let referrer = e.ref, referrer != account, referredBy[account] == nil { referredBy[account] = e }
    default:
      break
    }
  }

  /// Closes the pass: the thresholds and money of the program in force at the ledger's end.
  mutating func finish(program: LoyaltyProgram?) {
    thresholds = program?.fraud ?? LoyaltyProgram.FraudThresholds()
    currency = program?.currency
    minorUnits = program?.minorUnits ?? LoyaltyProgram.defaultMinorUnits
  }

  /// `amount` minor units in the program's currency: `2000` → `20.00 EUR`.
  func money(_ amount: Int64) -> String {
    LoyaltyProgram.money(amount, minorUnits: minorUnits, currency: currency)
  }
}
