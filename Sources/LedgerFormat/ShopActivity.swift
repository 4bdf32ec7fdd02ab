import LoyaltyCore

/// Where each account was last active, by terminal: the last UTC day of an entry each terminal
/// recorded on it and the audit accepted, and the day of the ledger's latest seal — what makes an
/// account a member of a region (`ProgramRegions`) at an epoch. Kept by terminal, not by region, so
/// a program that redraws the regions is read on the same facts.
public struct ShopActivity: Sendable {
  private var last: [String: [String: Int64]] = [:]
  /// The UTC day of the latest seal: the day an epoch's regions are drawn on.
  public private(set) var day: Int64 = 0

  public init() {}

  /// Notes an accepted entry: its terminal was active on its account on its day.
  mutating func note(_ e: Entry) {
    guard e.kind.isCounterKind, e.terminal != Entry.hq, let account = e.account else { return }
    let day = e.at.day
    if let known = last[account]?[e.terminal], known >= day { return }
    last[account, default: [:]][e.terminal] = day
  }

  /// Notes a seal: the ledger's day moves to its time's (never back).
  mutating func sealed(at time: UTCInstant) { day = max(day, time.day) }

  /// The last UTC day a terminal of `terminals` recorded an entry on `account`, or nil.
  public func lastDay(_ account: String, among terminals: [String]) -> Int64? {
    guard let byTerminal = last[account] else { return nil }
    var latest: Int64?
    for t in terminals { if let d = byTerminal[t], d > (latest ?? .min) { latest = d } }
    return latest
  }
}

extension LedgerFold {
  /// The UTC day of `account`'s last entry in `region` while that region holds it at the ledger's
  /// day, or nil (not a member: no region by that name, or no entry there within its days).
  public func regionDay(_ account: String, region: String) -> Int64? {
    guard let regions = program?.regions, let terminals = regions.shops[region],
      let last = activity.lastDay(account, among: terminals), regions.holds(lastDay: last, on: activity.day)
    else { return nil }
    return last
  }
}
