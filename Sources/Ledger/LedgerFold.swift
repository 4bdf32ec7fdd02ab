import Foundation
import LoyaltyCore

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

  /// Whether `receipts` is kept (snapshots need it; balances do not, and it grows with every earn).
  public let keepsReceipts: Bool

  public init(keepingReceipts: Bool = true) { keepsReceipts = keepingReceipts }

  /// Reads, verifies and folds a ledger file as it streams by.
  public static func fold(path: String, keepingReceipts: Bool = true) throws(LedgerError) -> (
    LedgerFold, LedgerVerifier.Summary
  ) {
    var fold = LedgerFold(keepingReceipts: keepingReceipts)
    let state = try LedgerVerifier.readVerified(path: path) { fold.apply($0) }
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
    if e.kind == .earn, keepsReceipts, let receipt = e.receipt {
      receipts[receipt] = Receipt(
        account: id, at: e.at.seconds, amount: e.amount ?? 0, points: max(0, e.points ?? 0), refunded: 0, reversed: 0)
    }
    if e.kind == .reversal, keepsReceipts, let receipt = e.receipt, var r = receipts[receipt] {
      r.refunded = min(r.amount, r.refunded + (e.amount ?? 0))
      r.reversed = min(r.points, r.reversed - (e.points ?? 0))
      receipts[receipt] = r
    }
    // In place: no copy of the account's lots per entry.
    Self.apply(e, to: &accounts[id, default: Account()], expiryDays: program?.expiryDays ?? 365)
  }

  static func apply(_ e: LedgerEntry, to account: inout Account, expiryDays: Int) {
    if account.enrolledAt == nil { account.enrolledAt = e.at }
    if let card = e.card, e.kind == .enroll || e.kind == .link { account.cards.insert(card) }
    if e.kind == .enroll, account.referrer == nil { account.referrer = e.ref }
    if e.kind == .block, let card = e.card { account.blockedCards.insert(card) }
    if e.kind == .earn {
      account.lifetimeSpend += e.amount ?? 0
      account.purchases += 1
    }
    if e.kind == .reversal { account.lifetimeSpend -= e.amount ?? 0 }
    let points = e.points ?? 0
    if points > 0 {
      account.lots.credit(points, at: e.at, expiryDays: expiryDays)
    } else if points < 0 {
      account.lots.debit(-points)
    }
    if e.kind != .expiry { account.lastActivity = e.at }
  }

  /// Balances by account, sorted by account id.
  public var balances: [(account: String, balance: Int64)] {
    accounts.map { (account: $0.key, balance: $0.value.balance) }.sorted { $0.account < $1.account }
  }
}
