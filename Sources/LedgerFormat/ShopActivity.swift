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

  /// The last UTC day a terminal of each region recorded an entry on `account`, by region (the
  /// terminals it was active at, not the regions' terminals, are read: a few).
  public func lastDays(_ account: String, in regions: ProgramRegions) -> [String: Int64] {
    var out: [String: Int64] = [:]
    for (t, d) in last[account] ?? [:] {
      if let r = regions.region(of: t), d > out[r] ?? .min { out[r] = d }
    }
    return out
  }
}

extension LedgerFold {
  /// The UTC day of `account`'s last entry in `region` while that region holds it at the ledger's
  /// day, or nil (not a member: no region by that name, or no entry there within its days).
  public func regionDay(_ account: String, region: String) -> Int64? {
    regionDays(account)[region]
  }

  /// The regions `account` is a member of at the ledger's day, each with the day of its last
  /// entry there.
  public func regionDays(_ account: String) -> [String: Int64] {
    guard let regions = program?.regions else { return [:] }
    return activity.lastDays(account, in: regions).filter { regions.holds(lastDay: $0.value, on: activity.day) }
  }
}
