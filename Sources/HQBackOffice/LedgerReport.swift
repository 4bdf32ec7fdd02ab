import Foundation
import LedgerFormat
import LedgerStore
import LoyaltyCore

/// HQ's report over a verified ledger.
public struct LedgerReport: Sendable {
  /// Points outstanding: the sum of positive balances (what the chain owes its customers).
  public var pointsLiability: Int64
  /// Points owed by overdrawn accounts (offline redemptions at several terminals).
  public var overdrawn: [String: Int64]
  /// Lifetime spend per account, net of refunds, in minor units.
  public var lifetimeSpend: [String: Int64]
  /// Orders and unique customers in the period, and orders per customer.
  public var orders: Int
  public var uniqueCustomers: Int
  /// Average purchase frequency in the period, × 1000, rounded half up (exact integer arithmetic).
  public var frequencyMillis: Int64
  /// Accounts whose last activity is at least `inactiveDays` before `asOf`.
  public var inactive: [String]
  public var from: UTCInstant?
  public var until: UTCInstant?
  public var asOf: UTCInstant
  public var inactiveDays: Int
  /// Entries the audit refused and batches it left out, each with its reason.
  public var refused: [String]
  /// What the admission refused (never in the ledger), from its log next to the ledger.
  public var refusedAtAdmission: [String]
  /// Receipts whose refunds, kept from several counters, reversed more than they earned.
  public var overReversals: [AuditReplay.OverReversal]
  /// Provisional points no cardholder sees yet (card not enrolled, or linked to another account).
  public var provisionalHolds: [AuditReplay.ProvisionalHold]
  /// Cards claimed by two accounts offline (`CardClaim`): the cardholder's points are split.
  public var claimedTwice: [AuditReplay.ClaimedTwice] = []
  /// `refused` and `refusedAtAdmission` as records of their fields (for JSON).
  public var refusedRecords: [[String: String]] = []
  public var refusedAtAdmissionRecords: [[String: String]] = []
  /// Per-shop books over the period: points issued, redeemed, reversed per shop and day, and the
  /// flows between shops.
  public var books = ShopBooks()
  /// The sum of every balance in the ledger (what the books' net equals over the whole ledger).
  public var balancesTotal: Int64 = 0
  /// The latest program's currency and minor units (nil and 2 when none is published).
  public var currency: String?
  public var minorUnits = LoyaltyProgram.defaultMinorUnits

  /// `amount` minor units in the program's currency: `1234` → `12.34 EUR`.
  public func money(_ amount: Int64) -> String {
    LoyaltyProgram.money(amount, minorUnits: minorUnits, currency: currency)
  }

  /// Builds the report; the period is [from, until), either end open when nil.
  public static func build(
    path: String, from: UTCInstant?, until: UTCInstant?, asOf: UTCInstant?, inactiveDays: Int = 60
  ) throws(LedgerError) -> LedgerReport {
    var fold = LedgerFold()
    var orders = 0
    var customers: Set<String> = []
    var latest = UTCInstant(seconds: 0)
    var books = ShopBooks(from: from, until: until)
    var booksError: LedgerError?
    // Only what the audit accepts counts: a refused or excluded entry is in no reader's books.
    _ = try LedgerVerifier.readVerified(
      path: path,
      each: { line in
        for e in fold.take(line) {
          if e.at > latest { latest = e.at }
          if booksError == nil {
            do throws(LedgerError) { try books.take(e.entry) } catch { booksError = error }
          }
          guard e.kind == .earn, let account = e.account else { continue }
          if let from, e.at < from { continue }
          if let until, e.at >= until { continue }
          orders += 1
          customers.insert(account)
        }
      }, excluded: { fold.exclude($0) })
    let now = asOf ?? latest
    let cutoff = now.adding(days: -inactiveDays)
    var liability: Int64 = 0
    var balancesTotal: Int64 = 0
    var overdrawn: [String: Int64] = [:]
    var spend: [String: Int64] = [:]
    var inactive: [String] = []
    for (id, account) in fold.accounts {
      if account.balance > 0 {
        let (sum, overflow) = liability.addingReportingOverflow(account.balance)
        guard !overflow else { throw LedgerError(line: 0, "the points liability does not fit in 64 bits") }
        liability = sum
      }
      let (total, overflow) = balancesTotal.addingReportingOverflow(account.balance)
      guard !overflow else { throw LedgerError(line: 0, "the ledger's balances do not fit in 64 bits") }
      balancesTotal = total
      if account.balance < 0 { overdrawn[id] = account.balance }
      spend[id] = account.lifetimeSpend
      if let last = account.lastActivity, last <= cutoff { inactive.append(id) }
    }
    let admission = RefusalLog(ledger: path)
    var report = LedgerReport(
      pointsLiability: liability, overdrawn: overdrawn, lifetimeSpend: spend, orders: orders,
      uniqueCustomers: customers.count,
      frequencyMillis: customers.isEmpty
        ? 0 : (Int64(orders) * 2000 + Int64(customers.count)) / (2 * Int64(customers.count)),
      inactive: inactive.sorted(),
      from: from, until: until, asOf: now, inactiveDays: inactiveDays,
      refused: fold.leftOut(),
      refusedAtAdmission: admission.entries(),
      overReversals: fold.audit.overReversals, provisionalHolds: fold.audit.provisionalHolds)
    if let booksError { throw booksError }
    report.books = books
    report.claimedTwice = fold.audit.cardsClaimedTwice
    report.balancesTotal = balancesTotal
    report.refusedRecords = fold.leftOutRecords()
    report.refusedAtAdmissionRecords = admission.records()
    report.currency = fold.program?.currency
    report.minorUnits = fold.program?.minorUnits ?? LoyaltyProgram.defaultMinorUnits
    return report
  }
}
