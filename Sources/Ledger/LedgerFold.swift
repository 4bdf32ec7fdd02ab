import Foundation
import LoyaltyEngine

/// Every account's points as the ledger says: the fold of all sealed entries, with expiry lots
/// by the engine's rules, so HQ, every terminal and an auditor get the same numbers.
public struct LedgerFold: Sendable {
  public struct Account: Hashable, Sendable {
    public var lots = PointLots()
    public var cards: Set<String> = []
    public var blockedCards: Set<String> = []
    public var referrer: String?
    public var referralSettled = false
    public var enrolledAt: UTCInstant?
    public var lifetimeSpend: Int64 = 0
    public var purchases = 0
    public var lastActivity: UTCInstant?
    public var balance: Int64 { lots.balance }
  }

  public private(set) var accounts: [String: Account] = [:]
  /// The latest published program (its expiry days drive the lots).
  public private(set) var program: LoyaltyProgram?
  public private(set) var firstDate: UTCInstant?
  /// The program entry's JSON text, as published.
  public private(set) var programJSON: String?
  /// Receipts: id → (account, time, amount, points, refunded, reversed).
  public private(set) var receipts: [String: Receipt] = [:]

  public struct Receipt: Hashable, Sendable, Codable {
    public var account: String
    public var at: Int64
    public var amount: Int64
    public var points: Int64
    public var refunded: Int64
    public var reversed: Int64
  }

  public init() {}

  /// Reads, verifies and folds a ledger file.
  public static func fold(path: String) throws(LedgerError) -> (LedgerFold, LedgerVerifier.Summary) {
    let (state, entries) = try LedgerVerifier.readVerified(path: path)
    var fold = LedgerFold()
    for e in entries { fold.apply(e) }
    return (fold, LedgerVerifier.Summary(state))
  }

  public mutating func apply(_ e: LedgerEntry) {
    if firstDate == nil || e.at < firstDate! { firstDate = e.at }
    if e.kind == .program, let json = e.data, let p = try? ProgramParser.parse(Data(json.utf8)) {
      program = p
      programJSON = json
    }
    if e.kind == .referralBonus, let referee = e.ref { accounts[referee, default: Account()].referralSettled = true }
    guard let id = e.account else { return }
    var account = accounts[id] ?? Account()
    if account.enrolledAt == nil { account.enrolledAt = e.at }
    if let card = e.card, e.kind == .enroll || e.kind == .link { account.cards.insert(card) }
    if e.kind == .enroll, account.referrer == nil { account.referrer = e.ref }
    if e.kind == .block, let card = e.card { account.blockedCards.insert(card) }
    if e.kind == .earn {
      account.lifetimeSpend += e.amount ?? 0
      account.purchases += 1
      if let receipt = e.receipt {
        receipts[receipt] = Receipt(
          account: id, at: e.at.seconds, amount: e.amount ?? 0, points: max(0, e.points ?? 0), refunded: 0, reversed: 0)
      }
    }
    if e.kind == .reversal {
      account.lifetimeSpend -= e.amount ?? 0
      if let receipt = e.receipt, var r = receipts[receipt] {
        r.refunded = min(r.amount, r.refunded + (e.amount ?? 0))
        r.reversed = min(r.points, r.reversed - (e.points ?? 0))
        receipts[receipt] = r
      }
    }
    let points = e.points ?? 0
    if points > 0 {
      account.lots.credit(points, at: e.at, expiryDays: program?.expiryDays ?? 365)
    } else if points < 0 {
      account.lots.debit(-points)
    }
    if e.kind != .expiry { account.lastActivity = e.at }
    accounts[id] = account
  }

  /// Balances by account, sorted by account id.
  public var balances: [(account: String, balance: Int64)] {
    accounts.keys.sorted().map { ($0, accounts[$0]!.balance) }
  }
}
