import Foundation
import LoyaltyCore

/// Every account as the ledger says: the fold of all sealed entries through the core's reducer,
/// so HQ, every terminal and an auditor get the same numbers.
public struct LedgerFold: Sendable {
  public typealias Account = AccountState

  public private(set) var accounts: [String: AccountState] = [:]
  /// The latest published program (its expiry days drive the lots).
  public private(set) var program: LoyaltyProgram?
  public private(set) var firstDate: UTCInstant?
  /// The program entry's JSON text, as published.
  public private(set) var programJSON: String?
  /// Entries the reducer refused (an overflowing balance, an entry for another account): skipped
  /// by every reader alike, and listed.
  public private(set) var refused: [(id: String, reason: String)] = []

  /// Whether accounts keep their receipts (snapshots need them; balances do not, and they grow
  /// with every earn).
  public let keepsReceipts: Bool

  public init(keepingReceipts: Bool = true) { keepsReceipts = keepingReceipts }

  /// Reads, verifies and folds a ledger file as it streams by.
  public static func fold(path: String, keepingReceipts: Bool = true) throws(LedgerError) -> (
    LedgerFold, LedgerVerifier.Summary
  ) {
    var fold = LedgerFold(keepingReceipts: keepingReceipts)
    let state = try LedgerVerifier.readVerified(path: path) { fold.apply($0.entry) }
    return (fold, LedgerVerifier.Summary(state))
  }

  public mutating func apply(_ e: Entry) {
    if firstDate == nil || e.at < firstDate! { firstDate = e.at }
    if e.kind == .program, let json = e.data, let p = try? ProgramParser.parse(Data(json.utf8)) {
      program = p
      programJSON = json
    }
    guard e.kind.concernsAnAccount, let id = e.account else { return }
    // In place: no copy of the account's lots per entry.
    do throws(RuleError) {
      try accounts[id, default: AccountState(id: id)].apply(
        e, expiryDays: program?.expiryDays ?? 365, keepingReceipts: keepsReceipts)
    } catch {
      refused.append((e.id, error.message))
    }
  }

  /// Every receipt of every account, by id (kept only with `keepingReceipts`).
  public var receipts: [String: Receipt] {
    var out: [String: Receipt] = [:]
    for account in accounts.values { out.merge(account.receipts) { first, _ in first } }
    return out
  }

  /// Balances by account, sorted by account id.
  public var balances: [(account: String, balance: Int64)] {
    accounts.map { (account: $0.key, balance: $0.value.balance) }.sorted { $0.account < $1.account }
  }
}
