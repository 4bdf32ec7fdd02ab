import LoyaltyCore

/// Each account's home shop: the terminal whose entry enrolled it (an account enrolled twice,
/// offline at two counters, keeps the first in ledger order). What the per-shop books count a
/// redemption's flow from, and what the fraud detectors call "another shop".
public struct HomeShops: Sendable {
  private var home: [String: String] = [:]

  public init() {}

  /// Learns from an entry the audit accepted (in ledger order): an enrolment names its account's
  /// home shop.
  public mutating func take(_ e: Entry) {
    if e.kind == .enroll, let account = e.account, home[account] == nil { home[account] = e.terminal }
  }

  /// The terminal that enrolled `account`, or nil (not enrolled: an account of provisional earns
  /// only, or enrolled by HQ).
  public subscript(account: String) -> String? { home[account] }
}
